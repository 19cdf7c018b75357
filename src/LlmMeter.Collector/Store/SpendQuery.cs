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

/// <summary>One row of spend. Grouping columns not asked for are null. Day and Hour are UTC starts.</summary>
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

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CachedInputTokens { get; init; }

    public long ReasoningTokens { get; init; }

    public long Fallbacks { get; init; }

    public long Errors { get; init; }
}
