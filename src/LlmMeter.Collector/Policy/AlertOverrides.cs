using LlmMeter.Policy;

namespace LlmMeter.Collector.Policy;

/// <summary>An alert that asked for an override it cannot have (reported in the webhook's answer).</summary>
internal sealed record AlertProblem(string Id, string? Alert, string Detail);

/// <summary>What a notification asks for: changes in order, alerts ignored, and why some were refused.</summary>
internal sealed record AlertPlan(IReadOnlyList<OverrideChange> Changes, int Ignored, IReadOnlyList<AlertProblem> Problems);

/// <summary>
/// Turns alerts into override changes. An alert takes part when its labels carry <c>llmmeter_action</c>
/// (<c>downgrade</c>, <c>route_free</c>, <c>block</c>); <c>app</c>, <c>team</c> and <c>model</c> (a glob) scope
/// it; a downgrade names its model in <c>llmmeter_downgrade_to</c>, a route_free in <c>llmmeter_free_model</c>.
/// Firing sets the override <c>&lt;source&gt;:&lt;fingerprint&gt;</c>; resolved removes it.
/// </summary>
internal static class AlertOverrides
{
    public const string ActionLabel = "llmmeter_action";
    public const string DowngradeToLabel = "llmmeter_downgrade_to";
    public const string FreeModelLabel = "llmmeter_free_model";

    public static AlertPlan Plan(string source, IReadOnlyList<IncomingAlert> alerts)
    {
        var changes = new List<OverrideChange>();
        var problems = new List<AlertProblem>();
        var ignored = 0;
        foreach (var alert in alerts)
        {
            var actionText = Label(alert, ActionLabel);
            if (actionText is null)
            {
                ignored++; // Not ours: acknowledged so the sender does not retry.
                continue;
            }

            var id = source + ":" + alert.Fingerprint;
            var name = Label(alert, "alertname");
            if (!alert.Firing)
            {
                changes.Add(OverrideChange.Remove(id, source)); // Whatever the labels say now, the override goes.
                continue;
            }

            if (Build(id, name, actionText, alert) is { } problem)
            {
                problems.Add(new AlertProblem(id, name, problem));
                ignored++;
                continue;
            }

            ActionNames.TryParse(actionText, out var action);
            changes.Add(OverrideChange.Set(
                new PolicyOverride
                {
                    Id = id,
                    Name = name,
                    Action = action,
                    Scope = new PolicyScope { App = Label(alert, "app"), Team = Label(alert, "team"), Model = Label(alert, "model") },
                    DowngradeTo = action == RoutingAction.Downgrade ? Label(alert, DowngradeToLabel) : null,
                    FreeModel = action == RoutingAction.RouteFree ? Label(alert, FreeModelLabel) : null,
                },
                source));
        }

        return new AlertPlan(changes, ignored, problems);
    }

    /// <summary>Null when the alert makes a usable override, else why not.</summary>
    private static string? Build(string id, string? name, string actionText, IncomingAlert alert)
    {
        if (!ActionNames.TryParse(actionText, out var action))
        {
            return $"{ActionLabel} '{actionText}' is not one of downgrade, route_free, block; alert '{name ?? id}' was ignored.";
        }

        if (action == RoutingAction.Downgrade && Label(alert, DowngradeToLabel) is null)
        {
            return $"A downgrade needs the label {DowngradeToLabel} (the cheaper model); alert '{name ?? id}' was ignored.";
        }

        if (action == RoutingAction.RouteFree && Label(alert, FreeModelLabel) is null)
        {
            return $"A route_free needs the label {FreeModelLabel} (the free model); alert '{name ?? id}' was ignored.";
        }

        return null;
    }

    private static string? Label(IncomingAlert alert, string name) =>
        alert.Labels.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
