using System.Text.Json.Serialization;

namespace LlmMeter.Policy;

/// <summary>
/// The routing policy the collector serves at <c>GET /v1/policy</c> and handlers apply before a call goes out:
/// the budgets with their spend at <see cref="GeneratedAt"/> and threshold actions, plus alert-driven overrides.
/// Handlers decide locally and add their own calls' cost between polls, so a hard limit is not overrun by the
/// poll interval. Its JSON form is snake_case (<see cref="LlmMeterPolicyJsonContext"/>).
/// </summary>
public sealed record RoutingPolicy
{
    /// <summary>When the collector computed the spend figures.</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Budgets whose thresholds carry a routing action (alert-only budgets are left out).</summary>
    public IReadOnlyList<PolicyBudget> Budgets { get; init; } = [];

    /// <summary>Routing overrides created by firing Alertmanager or Grafana alerts; active while they fire.</summary>
    public IReadOnlyList<PolicyOverride> Overrides { get; init; } = [];
}

/// <summary>One budget as the handler needs it.</summary>
public sealed record PolicyBudget
{
    /// <summary>The budget id.</summary>
    public required string Id { get; init; }

    /// <summary>The budget's display name (used in the blocked-call message).</summary>
    public required string Name { get; init; }

    /// <summary>Which calls the budget covers.</summary>
    public PolicyScope Scope { get; init; } = new();

    /// <summary>The limit for the current period, USD.</summary>
    public required decimal LimitUsd { get; init; }

    /// <summary>Spent in the current period at <see cref="RoutingPolicy.GeneratedAt"/>, USD.</summary>
    public required decimal SpentUsd { get; init; }

    /// <summary>End of the current period (exclusive, UTC).</summary>
    public required DateTimeOffset PeriodEnd { get; init; }

    /// <summary>Thresholds with a routing action, in percent of the limit.</summary>
    public IReadOnlyList<PolicyThreshold> Thresholds { get; init; } = [];
}

/// <summary>Which calls a budget or override covers; a null member matches anything.</summary>
public sealed record PolicyScope
{
    /// <summary>Exact application name.</summary>
    public string? App { get; init; }

    /// <summary>Exact value of the <c>team</c> tag.</summary>
    public string? Team { get; init; }

    /// <summary>A tag that must be present with this value, written <c>key=value</c>.</summary>
    public string? Tag { get; init; }

    /// <summary>Model id or glob (<c>*</c> any run of characters, <c>?</c> one), matched against the requested model.</summary>
    public string? Model { get; init; }

    /// <summary>Provider; before a call only the request's preferred provider (<c>provider.order[0]</c> or <c>only[0]</c>) is known.</summary>
    public string? Provider { get; init; }
}

/// <summary>A threshold with what happens once spend reaches it.</summary>
public sealed record PolicyThreshold
{
    /// <summary>Percent of the limit, e.g. 80 or 100.</summary>
    public required double Percent { get; init; }

    /// <summary>What the handler does from this threshold on.</summary>
    public required RoutingAction Action { get; init; }

    /// <summary>Downgrade map: exact model id or glob to a cheaper model; <c>*</c> matches any model.</summary>
    public IReadOnlyDictionary<string, string>? ModelMap { get; init; }

    /// <summary>For <see cref="RoutingAction.RouteFree"/>: the free model to use.</summary>
    public string? FreeModel { get; init; }
}

/// <summary>A routing override from a firing alert.</summary>
public sealed record PolicyOverride
{
    /// <summary>Stable id, e.g. <c>alertmanager:&lt;fingerprint&gt;</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The alert's name, for messages.</summary>
    public string? Name { get; init; }

    /// <summary>What to do.</summary>
    public required RoutingAction Action { get; init; }

    /// <summary>Which calls it covers.</summary>
    public PolicyScope Scope { get; init; } = new();

    /// <summary>For downgrades: the model to use instead.</summary>
    public string? DowngradeTo { get; init; }

    /// <summary>For <see cref="RoutingAction.RouteFree"/>: the free model to use.</summary>
    public string? FreeModel { get; init; }
}

/// <summary>A routing action.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<RoutingAction>))]
public enum RoutingAction
{
    /// <summary>Alert only; the call goes out unchanged.</summary>
    Alert,

    /// <summary>Map the model (and every <c>models</c> entry) to a cheaper one.</summary>
    Downgrade,

    /// <summary>Send the call to a named free model.</summary>
    RouteFree,

    /// <summary>Answer 402 without calling OpenRouter.</summary>
    Block,
}

/// <summary>Source-generated serialisation of the policy (snake_case, nulls omitted).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcMillisecondsConverter)])]
[JsonSerializable(typeof(RoutingPolicy))]
public sealed partial class LlmMeterPolicyJsonContext : JsonSerializerContext;
