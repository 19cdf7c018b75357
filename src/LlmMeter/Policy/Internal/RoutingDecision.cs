namespace LlmMeter.Policy.Internal;

/// <summary>What to do with one call; <see cref="None"/> (the default) lets it go out unchanged.</summary>
internal readonly struct RoutingDecision
{
    public RoutingDecision(RoutingAction action, string ruleId, string name, ModelMapper? mapper, BudgetEntry? budget)
    {
        Action = action;
        RuleId = ruleId;
        Name = name;
        Mapper = mapper;
        Budget = budget;
    }

    public static RoutingDecision None => default;

    public bool IsNone => RuleId is null;

    public RoutingAction Action { get; }

    /// <summary><c>{budget id}@{percent}</c> for budget thresholds, the override id for alert overrides.</summary>
    public string RuleId { get; }

    /// <summary>The budget or alert name.</summary>
    public string Name { get; }

    public ModelMapper? Mapper { get; }

    /// <summary>The budget behind the decision (null for overrides).</summary>
    public BudgetEntry? Budget { get; }

    public static int Severity(RoutingAction action) => action switch
    {
        RoutingAction.Block => 3,
        RoutingAction.RouteFree => 2,
        RoutingAction.Downgrade => 1,
        _ => 0,
    };
}
