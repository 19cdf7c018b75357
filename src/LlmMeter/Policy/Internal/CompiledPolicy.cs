namespace LlmMeter.Policy.Internal;

/// <summary>
/// An immutable <see cref="RoutingPolicy"/> prepared for per-call decisions: arrays and plain comparisons only,
/// so a call that no rule matches costs a few scope checks and allocates nothing.
/// </summary>
internal sealed class CompiledPolicy
{
    public static readonly CompiledPolicy Empty = new(new RoutingPolicy { GeneratedAt = DateTimeOffset.UnixEpoch });

    private readonly BudgetEntry[] _budgets;
    private readonly OverrideEntry[] _overrides;

    /// <param name="policy">The policy.</param>
    /// <param name="callStats">Per budget id, the calls in flight and average cost carried over from earlier policies.</param>
    public CompiledPolicy(RoutingPolicy policy, Func<string, BudgetCallStats>? callStats = null)
    {
        Source = policy;
        _budgets = policy.Budgets.Where(b => b.LimitUsd > 0).Select(b => new BudgetEntry(b, callStats?.Invoke(b.Id))).ToArray();
        _overrides = policy.Overrides.Select(o => new OverrideEntry(o)).Where(o => o.Action == RoutingAction.Block || o.Mapper is not null).ToArray();
    }

    public RoutingPolicy Source { get; }

    public IReadOnlyList<BudgetEntry> Budgets => _budgets;

    /// <summary>The most severe action that applies to a call about to go out (block, then route_free, then downgrade).</summary>
    /// <param name="app">The handler's app.</param>
    /// <param name="tags">The call's tags.</param>
    /// <param name="model">The requested model.</param>
    /// <param name="preferredProvider">The request's first preferred provider, if any.</param>
    /// <param name="isFree">A free model: never blocked nor rerouted (it costs nothing).</param>
    public RoutingDecision Decide(string app, IReadOnlyDictionary<string, string> tags, string? model, string? preferredProvider, bool isFree)
    {
        List<BudgetEntry>? matched = null;
        return Decide(app, tags, model, preferredProvider, isFree, ref matched);
    }

    /// <summary>As the other overload; <paramref name="matched"/> collects the budgets the call falls in (allocated only on a match).</summary>
    /// <param name="app">The handler's app.</param>
    /// <param name="tags">The call's tags.</param>
    /// <param name="model">The requested model.</param>
    /// <param name="preferredProvider">The request's first preferred provider, if any.</param>
    /// <param name="isFree">A free model: never blocked nor rerouted (it costs nothing).</param>
    /// <param name="matched">The budgets with routing thresholds whose scope matches the call.</param>
    public RoutingDecision Decide(string app, IReadOnlyDictionary<string, string> tags, string? model, string? preferredProvider, bool isFree, ref List<BudgetEntry>? matched)
    {
        if (isFree)
        {
            return RoutingDecision.None;
        }

        var best = RoutingDecision.None;
        var bestSeverity = 0;
        var team = Team(tags); // once per call, not once per budget
        foreach (var budget in _budgets)
        {
            if (budget.Thresholds.Length == 0 || !budget.Scope.Matches(app, team, tags, model, preferredProvider, unknownProviderMatches: false))
            {
                continue;
            }

            (matched ??= []).Add(budget);

            if (budget.Reached() is { } threshold && RoutingDecision.Severity(threshold.Threshold.Action) is var severity && severity > bestSeverity)
            {
                best = new RoutingDecision(threshold.Threshold.Action, threshold.RuleId, budget.Budget.Name, threshold.Mapper, budget);
                bestSeverity = severity;
            }
        }

        foreach (var entry in _overrides)
        {
            if (RoutingDecision.Severity(entry.Action) > bestSeverity && entry.Scope.Matches(app, team, tags, model, preferredProvider, unknownProviderMatches: false))
            {
                best = new RoutingDecision(entry.Action, entry.Override.Id, entry.Override.Name ?? entry.Override.Id, entry.Mapper, budget: null);
                bestSeverity = RoutingDecision.Severity(entry.Action);
            }
        }

        return best;
    }

    /// <summary>Adds a finished call's cost to every budget it falls in (served model and provider, as the collector counts it).</summary>
    public void Account(string app, IReadOnlyDictionary<string, string> tags, string? model, string? provider, long units)
    {
        if (units <= 0)
        {
            return;
        }

        var team = Team(tags);
        foreach (var budget in _budgets)
        {
            if (budget.Scope.Matches(app, team, tags, model, provider, unknownProviderMatches: true))
            {
                budget.AddLocal(units);
            }
        }
    }

    private static string? Team(IReadOnlyDictionary<string, string> tags) =>
        tags.Count != 0 && tags.TryGetValue("team", out var team) ? team : null;

    private sealed class OverrideEntry
    {
        public OverrideEntry(PolicyOverride entry)
        {
            Override = entry;
            Action = entry.Action;
            Scope = new ScopeMatcher(entry.Scope);
            Mapper = entry.Action switch
            {
                RoutingAction.Downgrade when !string.IsNullOrWhiteSpace(entry.DowngradeTo) => ModelMapper.To(entry.DowngradeTo),
                RoutingAction.RouteFree when !string.IsNullOrWhiteSpace(entry.FreeModel) => ModelMapper.To(entry.FreeModel),
                _ => null,
            };
        }

        public PolicyOverride Override { get; }

        public RoutingAction Action { get; }

        public ScopeMatcher Scope { get; }

        public ModelMapper? Mapper { get; }
    }
}
