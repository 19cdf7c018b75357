namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>The key of a <c>spend_hourly</c> or <c>spend_daily</c> row: the hour or day start and the combination.</summary>
internal readonly record struct RollupKey(long StartMs, string App, string Team, string Model, string Provider);

/// <summary>What one record adds to its rollup rows (absent values are 0).</summary>
internal readonly record struct RollupSums(
    long CostUnits, long InputTokens, long OutputTokens, long CachedInputTokens, long ReasoningTokens, bool Fallback, bool Error);

/// <summary>
/// The sums of one rollup row, accumulated over a batch before one upsert. Cost and tokens are <see cref="Int128"/>:
/// two records of 2^63 − 1 tokens already leave 64 bits (they are written as <see cref="WideSum"/> columns). Counts
/// grow by one a record, so 64 bits never overflow for them.
/// </summary>
internal sealed class RollupTotals
{
    /// <summary>The rollup columns written as <see cref="WideSum"/> pairs, in the order of <see cref="Wide"/>.</summary>
    public static readonly string[] WideColumns = ["cost_units", "input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens"];

    /// <summary>The plain counting columns, in the order of <see cref="Counts"/>.</summary>
    public static readonly string[] CountColumns = ["requests", "fallbacks", "errors"];

    public Int128 CostUnits { get; private set; }

    public long Requests { get; private set; }

    public Int128 InputTokens { get; private set; }

    public Int128 OutputTokens { get; private set; }

    public Int128 CachedInputTokens { get; private set; }

    public Int128 ReasoningTokens { get; private set; }

    public long Fallbacks { get; private set; }

    public long Errors { get; private set; }

    /// <summary>The wide sums in <see cref="WideColumns"/> order.</summary>
    public Int128 Wide(int index) => index switch
    {
        0 => CostUnits,
        1 => InputTokens,
        2 => OutputTokens,
        3 => CachedInputTokens,
        4 => ReasoningTokens,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>The counts in <see cref="CountColumns"/> order.</summary>
    public long Count(int index) => index switch
    {
        0 => Requests,
        1 => Fallbacks,
        2 => Errors,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public void Add(in RollupSums call)
    {
        CostUnits += call.CostUnits;
        Requests++;
        InputTokens += call.InputTokens;
        OutputTokens += call.OutputTokens;
        CachedInputTokens += call.CachedInputTokens;
        ReasoningTokens += call.ReasoningTokens;
        Fallbacks += call.Fallback ? 1 : 0;
        Errors += call.Error ? 1 : 0;
    }
}
