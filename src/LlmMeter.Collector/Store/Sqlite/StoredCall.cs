using System.Globalization;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// A record turned into the column values of <c>calls</c> and its rollup key. Built on the caller's thread
/// (JSON serialisation included) so the single writer only runs SQL.
/// </summary>
internal sealed class StoredCall
{
    private StoredCall(LlmCallRecord record)
    {
        Record = record;
    }

    public LlmCallRecord Record { get; }

    public required string Id { get; init; }

    public required long StartedAtMs { get; init; }

    public required string Team { get; init; }

    public required string Model { get; init; }

    public required string Provider { get; init; }

    public required string Outcome { get; init; }

    public required string? CostText { get; init; }

    public required long? CostUnits { get; init; }

    public required string CostSource { get; init; }

    public required ReconcileState ReconcileState { get; init; }

    public required string Json { get; init; }

    public RollupKey HourKey => new(StoreText.HourStart(StartedAtMs), Record.App, Team, Model, Provider);

    public RollupKey DayKey => new(StoreText.DayStart(StartedAtMs), Record.App, Team, Model, Provider);

    /// <summary>What the record adds to its rollup rows.</summary>
    public RollupSums Sums => new(
        CostUnits ?? 0,
        Record.InputTokens ?? 0,
        Record.OutputTokens ?? 0,
        Record.CachedInputTokens ?? 0,
        Record.ReasoningTokens ?? 0,
        Record.FallbackUsed,
        Record.Outcome != LlmCallOutcome.Success);

    /// <summary>Validates and converts one record; throws <see cref="ArgumentException"/> on a record the store cannot hold.</summary>
    /// <param name="record">The record.</param>
    /// <param name="wireJson">The record's JSON as received, stored as is; null to serialise the record.</param>
    public static StoredCall From(LlmCallRecord record, string? wireJson = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.Id))
        {
            throw new ArgumentException("A record needs an id.", nameof(record));
        }

        if (record.App is null)
        {
            throw new ArgumentException($"Record '{record.Id}' has no app.", nameof(record));
        }

        return new StoredCall(record)
        {
            Id = record.Id,
            StartedAtMs = record.StartedAt.ToUnixTimeMilliseconds(),
            Team = record.Tags is not null && record.Tags.TryGetValue("team", out var team) && team is not null ? team : string.Empty,
            Model = record.ServedModel ?? record.RequestedModel ?? string.Empty,
            Provider = record.Provider ?? string.Empty,
            Outcome = StoreText.Outcome(record.Outcome),
            CostText = StoreText.CostText(record.CostUsd),
            CostUnits = record.CostUsd is { } cost ? StoreText.ToUnits(cost, record.Id) : null,
            CostSource = StoreText.CostSource(record.CostSource),
            ReconcileState = ReconcileStates.Initial(record),
            Json = wireJson ?? LlmMeterJson.Serialize(record),
        };
    }
}

/// <summary>Where a record stands with cost reconciliation (<c>calls.reconcile_state</c>).</summary>
internal enum ReconcileState
{
    /// <summary>The cost is reported (or the id is local, so OpenRouter has no generation for it).</summary>
    NotNeeded = 0,

    Pending = 1,

    Reconciled = 2,

    GaveUp = 3,
}

internal static class ReconcileStates
{
    /// <summary>Only estimated or missing costs with an OpenRouter generation id are worth looking up.</summary>
    public static ReconcileState Initial(LlmCallRecord record) => record.CostSource switch
    {
        LlmCostSource.Reconciled => ReconcileState.Reconciled,
        LlmCostSource.Estimated or LlmCostSource.None when !record.Id.StartsWith("llmm-", StringComparison.Ordinal) => ReconcileState.Pending,
        _ => ReconcileState.NotNeeded,
    };
}

/// <summary>The text and integer forms the store uses for enums, costs and hours.</summary>
internal static class StoreText
{
    public const long HourMs = 3_600_000;

    public const long DayMs = 86_400_000;

    /// <summary>Costs are summed as integers in units of 1e-10 USD (exact for any cost with up to 10 decimals).</summary>
    public const decimal UnitsPerUsd = 10_000_000_000m;

    public const decimal MaxCostUsd = StoreLimits.MaxCostUsd;

    public static long HourStart(long ms) => ms - (((ms % HourMs) + HourMs) % HourMs);

    public static long DayStart(long ms) => ms - (((ms % DayMs) + DayMs) % DayMs);

    public static long ToUnits(decimal costUsd, string id)
    {
        // Leaves sums of 64-bit units room for millions of expensive calls; no real call costs a million dollars.
        if (costUsd is > MaxCostUsd or < -MaxCostUsd)
        {
            throw new ArgumentOutOfRangeException(nameof(costUsd), costUsd, $"Record '{id}' has a cost_usd beyond +/-{MaxCostUsd} USD.");
        }

        return (long)decimal.Round(costUsd * UnitsPerUsd, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// Units as USD, exactly: a decimal holds 28 digits, so up to 7.9e18 USD, more than a SQLite file can hold at
    /// <see cref="MaxCostUsd"/> a record (fewer than 2^48 records); beyond that <see cref="OverflowException"/>.
    /// </summary>
    public static decimal FromUnits(Int128 units) => (decimal)units / UnitsPerUsd;

    public static string? CostText(decimal? cost) => cost?.ToString(CultureInfo.InvariantCulture);

    public static decimal? ParseCost(string? text) =>
        text is null ? null : decimal.Parse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);

    public static string Outcome(LlmCallOutcome outcome) => outcome switch
    {
        LlmCallOutcome.Success => "success",
        LlmCallOutcome.HttpError => "http_error",
        LlmCallOutcome.StreamError => "stream_error",
        LlmCallOutcome.Aborted => "aborted",
        LlmCallOutcome.NetworkError => "network_error",
        LlmCallOutcome.Blocked => "blocked",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
    };

    public static string CostSource(LlmCostSource source) => source switch
    {
        LlmCostSource.None => "none",
        LlmCostSource.Reported => "reported",
        LlmCostSource.Estimated => "estimated",
        LlmCostSource.Reconciled => "reconciled",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown cost source."),
    };

    public static LlmCostSource ParseCostSource(string text) => text switch
    {
        "none" => LlmCostSource.None,
        "reported" => LlmCostSource.Reported,
        "estimated" => LlmCostSource.Estimated,
        "reconciled" => LlmCostSource.Reconciled,
        _ => throw new FormatException($"Unknown cost source '{text}' in the store."),
    };
}
