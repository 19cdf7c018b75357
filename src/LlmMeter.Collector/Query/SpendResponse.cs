using LlmMeter.Collector.Store;

namespace LlmMeter.Collector.Query;

/// <summary>
/// <c>GET /v1/spend</c>: the range and grouping as understood, the rows, and their total. Times are written
/// like the records' (ISO 8601 UTC with milliseconds); grouping columns not asked for are omitted.
/// </summary>
internal sealed record SpendResponse(string From, string To, IReadOnlyList<string> GroupBy, IReadOnlyList<SpendResponse.Row> Rows, SpendRow Total)
{
    public static SpendResponse Create(SpendQuery query, IReadOnlyList<SpendRow> rows)
    {
        var total = new SpendRow(); // no grouping columns: they are null, so omitted
        var outRows = new List<Row>(rows.Count);
        foreach (var row in rows)
        {
            outRows.Add(new Row
            {
                Model = row.Model,
                Team = row.Team,
                App = row.App,
                Provider = row.Provider,
                Day = row.Day is { } day ? Wire.Time(day) : null,
                Hour = row.Hour is { } hour ? Wire.Time(hour) : null,
                CostUsd = row.CostUsd,
                Requests = row.Requests,
                InputTokens = row.InputTokens,
                OutputTokens = row.OutputTokens,
                CachedInputTokens = row.CachedInputTokens,
                ReasoningTokens = row.ReasoningTokens,
                Fallbacks = row.Fallbacks,
                Errors = row.Errors,
            });
            total = Add(total, row);
        }

        return new SpendResponse(Wire.Time(query.From), Wire.Time(query.To), [.. query.GroupBy.Select(QueryParameters.NameOf)], outRows, total);
    }

    internal sealed record Row
    {
        public string? Model { get; init; }

        public string? Team { get; init; }

        public string? App { get; init; }

        public string? Provider { get; init; }

        public string? Day { get; init; }

        public string? Hour { get; init; }

        public decimal CostUsd { get; init; }

        public long Requests { get; init; }

        public Int128 InputTokens { get; init; }

        public Int128 OutputTokens { get; init; }

        public Int128 CachedInputTokens { get; init; }

        public Int128 ReasoningTokens { get; init; }

        public long Fallbacks { get; init; }

        public long Errors { get; init; }
    }

    /// <summary>The sum of every row (each call falls in exactly one group).</summary>
    private static SpendRow Add(SpendRow total, SpendRow row) => total with
    {
        CostUsd = total.CostUsd + row.CostUsd,
        Requests = total.Requests + row.Requests,
        InputTokens = total.InputTokens + row.InputTokens,
        OutputTokens = total.OutputTokens + row.OutputTokens,
        CachedInputTokens = total.CachedInputTokens + row.CachedInputTokens,
        ReasoningTokens = total.ReasoningTokens + row.ReasoningTokens,
        Fallbacks = total.Fallbacks + row.Fallbacks,
        Errors = total.Errors + row.Errors,
    };
}
