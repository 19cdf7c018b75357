using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>A validated budget prepared for charging: its zone resolved and its scope ready to match records.</summary>
internal sealed class CompiledBudget
{
    // The period of the last record charged: consecutive records almost always share it, and converting to
    // local time costs more than the rest of a charge. Touched only on the store writer's thread.
    private long _chargeStartMs = long.MaxValue;
    private long _chargeEndMs = long.MinValue;

    public CompiledBudget(BudgetDefinition definition)
    {
        Definition = definition;
        if (!BudgetPeriod.TryFindZone(definition.Timezone, out var zone))
        {
            throw new ArgumentException($"Unknown time zone '{definition.Timezone}'.", nameof(definition));
        }

        Zone = zone;
        Scope = new BudgetScopeMatcher(definition.Scope);
        LimitUnits = (long)(definition.LimitUsd * StoreText.UnitsPerUsd);
    }

    public BudgetDefinition Definition { get; }

    public string Id => Definition.Id;

    public TimeZoneInfo Zone { get; }

    public BudgetScopeMatcher Scope { get; }

    public long LimitUnits { get; }

    public (DateTimeOffset Start, DateTimeOffset End) Period(DateTimeOffset instant) =>
        BudgetPeriod.Containing(instant, Definition.Period, Zone);

    /// <summary>The start (epoch ms) of the period a record started at <paramref name="startedAt"/> is charged to. Writer thread only.</summary>
    public long ChargePeriodStartMs(DateTimeOffset startedAt)
    {
        var ms = startedAt.ToUnixTimeMilliseconds();
        if (ms < _chargeStartMs || ms >= _chargeEndMs)
        {
            var (start, end) = Period(startedAt);
            _chargeStartMs = start.ToUnixTimeMilliseconds();
            _chargeEndMs = end.ToUnixTimeMilliseconds();
        }

        return _chargeStartMs;
    }

    /// <summary>True when both budgets charge the same records to the same periods (so the ledger stays valid).</summary>
    public bool ChargesLike(CompiledBudget other) =>
        Definition.Scope == other.Definition.Scope
        && Definition.Period == other.Definition.Period
        && Zone.Id == other.Zone.Id;
}

/// <summary>
/// A budget's scope for accounting: app exact, team = the <c>team</c> tag, tag <c>key=value</c>, model glob on the
/// served model (else the requested one), provider case-insensitive on the provider that served. Null matches anything.
/// </summary>
internal sealed class BudgetScopeMatcher
{
    private readonly string? _app;
    private readonly string? _team;
    private readonly string? _tagKey;
    private readonly string? _tagValue;
    private readonly string? _model;
    private readonly string? _provider;

    public BudgetScopeMatcher(PolicyScope scope)
    {
        _app = scope.App;
        _team = scope.Team;
        _model = scope.Model;
        _provider = scope.Provider;
        if (scope.Tag is { } tag)
        {
            var eq = tag.IndexOf('=', StringComparison.Ordinal);
            _tagKey = tag[..eq];
            _tagValue = tag[(eq + 1)..];
        }
    }

    /// <summary>Whether matching needs the record's tags beyond <c>team</c>.</summary>
    public bool NeedsTags => _tagKey is not null;

    public bool Matches(LlmCallRecord record)
    {
        var tags = record.Tags;
        var team = tags is not null && tags.TryGetValue("team", out var t) && t is not null ? t : string.Empty;
        return MatchesColumns(record.App, team, record.ServedModel ?? record.RequestedModel ?? string.Empty, record.Provider ?? string.Empty)
            && MatchesTags(tags);
    }

    /// <summary>Matches the store's columns: empty strings stand for an absent team, model or provider.</summary>
    public bool MatchesColumns(string app, string team, string model, string provider) =>
        (_app is null || string.Equals(_app, app, StringComparison.Ordinal))
        && (_team is null || string.Equals(_team, team, StringComparison.Ordinal))
        && (_model is null || (model.Length > 0 && LlmMeter.Policy.Internal.ModelGlob.Matches(_model, model)))
        && (_provider is null || string.Equals(_provider, provider, StringComparison.OrdinalIgnoreCase));

    public bool MatchesTags(IReadOnlyDictionary<string, string>? tags) =>
        _tagKey is null || (tags is not null && tags.TryGetValue(_tagKey, out var value) && string.Equals(value, _tagValue, StringComparison.Ordinal));
}
