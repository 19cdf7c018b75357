namespace LlmMeter.Collector.Store;

/// <summary>The dimensions spend can be grouped and filtered by.</summary>
internal enum SpendDimension
{
    Model,
    Team,
    App,
    Provider,
    Day,
    Hour,
}

/// <summary>
/// <c>GET /v1/spend</c>: the half-open range [From, To) in UTC, truncated to whole hours by the rollups;
/// group by any of the dimensions (none: one total row); filters are exact matches on model, team, app, provider.
/// </summary>
internal sealed record SpendQuery
{
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public IReadOnlyList<SpendDimension> GroupBy { get; init; } = [];

    public string? Model { get; init; }

    public string? Team { get; init; }

    public string? App { get; init; }

    public string? Provider { get; init; }
}

/// <summary>
/// One row of spend. Grouping columns not asked for are null. Day and Hour are UTC starts. Token sums are
/// <see cref="Int128"/> (records of up to 2^63 − 1 tokens each add up past 64 bits), written to JSON as exact numbers;
/// counts grow by one a record, so 64 bits hold them.
/// </summary>
internal sealed record SpendRow
{
    public string? Model { get; init; }

    public string? Team { get; init; }

    public string? App { get; init; }

    public string? Provider { get; init; }

    public DateTimeOffset? Day { get; init; }

    public DateTimeOffset? Hour { get; init; }

    public decimal CostUsd { get; init; }

    public long Requests { get; init; }

    public Int128 InputTokens { get; init; }

    public Int128 OutputTokens { get; init; }

    public Int128 CachedInputTokens { get; init; }

    public Int128 ReasoningTokens { get; init; }

    public long Fallbacks { get; init; }

    public long Errors { get; init; }
}
