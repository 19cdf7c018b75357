using System.Globalization;
using System.Text;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Store;
using LlmMeter.Policy;
using static LlmMeter.Collector.Status.StatusHtml;

namespace LlmMeter.Collector.Status;

/// <summary>
/// Renders the status page: spend today and this month by model and team, budgets with progress and state, the
/// routing in force, recent calls and links to the API. Sections carry stable ids (<c>spend</c>, <c>budgets</c>,
/// <c>routing</c>, <c>calls</c>, <c>links</c>, and <c>demo-banner</c>, <c>demo-alerts</c> in the demo).
/// </summary>
internal static class StatusPageRenderer
{
    public const string DemoBanner = "Demo: traffic from a built-in OpenRouter simulator";
    private const int MaxSpendRows = 12;

    private static readonly (string Href, string Label)[] s_links =
    [
        ("metrics", "/metrics (Prometheus)"),
        ("v1/spend?group_by=model,team", "/v1/spend"),
        ("v1/calls?limit=20", "/v1/calls"),
        ("v1/policy", "/v1/policy"),
        ("v1/budgets", "/v1/budgets (admin key)"),
        ("v1/overrides", "/v1/overrides"),
        ("v1/alerts/deliveries", "/v1/alerts/deliveries (admin key)"),
        ("v1/export.csv", "/v1/export.csv"),
    ];

    public static string Render(StatusSnapshot snapshot)
    {
        var html = new StringBuilder(32 * 1024);
        Head(html, "LlmMeter status", refresh: true);
        html.Append("<header><h1>LlmMeter</h1><span class=\"muted\">collector status \u00b7 ").Append(Text(Time(snapshot.Now)))
            .Append(" \u00b7 refreshes every 5 s \u00b7 store ").Append(Text(snapshot.Store)).Append("</span></header>");
        if (snapshot.Demo is { } demo)
        {
            html.Append("<div id=\"demo-banner\" class=\"banner\" role=\"status\"><strong>").Append(Text(DemoBanner)).Append("</strong> at <span class=\"mono\">")
                .Append(Text(demo.Simulator.ApiRoot.AbsoluteUri)).Append("</span>. Models, prices, fallbacks, streams and errors are simulated: no real OpenRouter call is made. App <b>")
                .Append(Text(demo.Options.App)).Append("</b>, run <span class=\"mono\">").Append(Text(demo.RunId)).Append("</span>, ")
                .Append(Count(demo.CallsMade)).Append(" calls made, ").Append(Count(demo.Simulator.Calls)).Append(" reached the simulator.</div>");
        }

        Links(html);
        Spend(html, snapshot);
        BudgetSection(html, snapshot);
        Routing(html, snapshot);
        if (snapshot.Demo is { } running)
        {
            DemoAlerts(html, running);
        }

        Calls(html, snapshot.Calls);
        html.Append("<footer class=\"muted small\">Behind keys this page needs the read key as <span class=\"mono\">Authorization: Bearer</span>, like the API: ")
            .Append("open it through a reverse proxy that adds the header, or with curl. Times are UTC.</footer></body></html>");
        return html.ToString();
    }

    /// <summary>The 401 (no or unknown key) or 403 (a key of the wrong kind) page.</summary>
    public static string Unauthorized(bool knownKey)
    {
        var html = new StringBuilder();
        Head(html, knownKey ? "403 - LlmMeter" : "401 - LlmMeter", refresh: false);
        html.Append(knownKey
            ? "<h1>403: this key cannot read</h1><p>The status page needs the collector's <b>read</b> key (or the admin key).</p>"
            : "<h1>401: the status page needs the read key</h1><p>This collector has keys configured. Send the read key (or the admin key) as a header: "
                + "<span class=\"mono\">Authorization: Bearer &lt;key&gt;</span>.</p>")
            .Append("<p>Keys are never accepted in the URL. In a browser, open the page through a reverse proxy that adds the header; from a shell: ")
            .Append("<span class=\"mono\">curl -H 'Authorization: Bearer &lt;read key&gt;' http://&lt;collector&gt;/</span>.</p></body></html>");
        return html.ToString();
    }

    private static void Head(StringBuilder html, string title, bool refresh)
    {
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        if (refresh)
        {
            html.Append("<meta http-equiv=\"refresh\" content=\"5\">");
        }

        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>").Append(Text(title))
            .Append("</title><style>").Append(Css).Append("</style></head><body>");
    }

    private static void Links(StringBuilder html)
    {
        html.Append("<nav id=\"links\"><b>API</b> ");
        foreach (var (href, label) in s_links)
        {
            html.Append("<a href=\"").Append(Text(href)).Append("\">").Append(Text(label)).Append("</a>");
        }

        html.Append("</nav>");
    }

    private static void Spend(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append("<section id=\"spend\"><h2>Spend</h2><p><b>Today</b> (since 00:00 UTC): ").Append(Money(snapshot.Today.Sum(r => r.CostUsd)))
            .Append(" \u00b7 ").Append(Count(snapshot.Today.Sum(r => r.Requests))).Append(" requests &nbsp; <b>This month</b>: ")
            .Append(Money(snapshot.Month.Sum(r => r.CostUsd))).Append(" \u00b7 ").Append(Count(snapshot.Month.Sum(r => r.Requests))).Append(" requests</p>");
        html.Append("<h3>By model (the model that served)</h3>");
        SpendTable(html, "spend-model", "Model", snapshot, r => r.Model ?? "unknown", mono: true);
        html.Append("<h3>By team (the <span class=\"mono\">team</span> tag)</h3>");
        SpendTable(html, "spend-team", "Team", snapshot, r => r.Team ?? "(no team)", mono: false);
        html.Append("</section>");
    }

    private static void SpendTable(StringBuilder html, string id, string dimension, StatusSnapshot snapshot, Func<SpendRow, string> key, bool mono)
    {
        var today = snapshot.Today.GroupBy(key).ToDictionary(g => g.Key, g => (Cost: g.Sum(r => r.CostUsd), Requests: g.Sum(r => r.Requests)), StringComparer.Ordinal);
        var month = snapshot.Month.GroupBy(key)
            .Select(g => (Name: g.Key, Cost: g.Sum(r => r.CostUsd), Requests: g.Sum(r => r.Requests), In: Sum(g, r => r.InputTokens),
                Out: Sum(g, r => r.OutputTokens), Fallbacks: g.Sum(r => r.Fallbacks), Errors: g.Sum(r => r.Errors)))
            .OrderByDescending(g => g.Cost).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        var rows = month.Take(MaxSpendRows).Select(g =>
        {
            var day = today.GetValueOrDefault(g.Name);
            return Row(
                mono ? Model(g.Name) : Text(g.Name),
                Num(Money(day.Cost)),
                Num(Count(day.Requests)),
                Num(Money(g.Cost)),
                Num(Count(g.Requests)),
                Num(Count(g.In) + " / " + Count(g.Out)),
                Num(Count(g.Fallbacks)),
                Num(Count(g.Errors)));
        });
        if (month.Count > MaxSpendRows)
        {
            rows = rows.Append(Row($"<span class=\"muted\">{month.Count - MaxSpendRows} more</span>"));
        }

        Table(
            html,
            id,
            [dimension, Num("Today"), Num("Requests today"), Num("This month"), Num("Requests"), Num("Tokens in / out"), Num("Fallbacks"), Num("Errors")],
            rows,
            "No calls this month yet.");
    }

    private static void BudgetSection(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append("<section id=\"budgets\"><h2>Budgets</h2>");
        var rows = snapshot.Budgets.Select(status =>
        {
            var budget = status.Budget;
            var ratio = budget.LimitUsd > 0m ? (double)(status.SpentUsd / budget.LimitUsd) : 0;
            var kind = status.ActiveAction == RoutingAction.Block || ratio >= 1 ? "bad" : status.ThresholdReached is not null ? "warn" : string.Empty;
            var width = Math.Clamp(ratio * 100, 0, 100).ToString("0.#", CultureInfo.InvariantCulture);
            return Row(
                $"<b>{Text(budget.Name)}</b><br><span class=\"mono muted\">{Text(budget.Id)}</span>",
                Text(Scope(budget.Scope)),
                $"{Text(budget.Period.ToString().ToLowerInvariant())}<br><span class=\"muted small\">until {Text(Time(status.PeriodEnd))}</span>",
                $"<div class=\"bar\" title=\"{Text(Percent(ratio * 100))}\"><span class=\"{kind}\" style=\"width:{width}%\"></span></div>"
                    + $"{Money(status.SpentUsd)} of {Money(budget.LimitUsd)} ({Text(Percent(ratio * 100))})",
                (status.ThresholdReached is { } reached ? Text(Percent(reached) + " reached") : "<span class=\"muted\">below thresholds</span>")
                    + "<br>" + ActionBadge(status.ActiveAction),
                Text(string.Join(", ", budget.Thresholds.Select(t => $"{Percent(t.Percent)} {ActionName(t.Action)}"))),
                status.SpentUsd >= budget.LimitUsd ? Badge("exhausted", "bad")
                    : status.ForecastExhaustion is { } forecast ? "runs out " + Text(Time(forecast))
                    : "<span class=\"muted\">not before the period ends</span>");
        });
        Table(html, "budgets-table", ["Budget", "Scope", "Period", "Spent", "State", "Thresholds", "Forecast"], rows, "No budgets: create one with POST /v1/budgets or the Budgets configuration section.");
        html.Append("</section>");
    }

    private static void Routing(StringBuilder html, StatusSnapshot snapshot)
    {
        html.Append("<section id=\"routing\"><h2>Routing in force</h2><h3>Budget rules</h3>");
        var rules = snapshot.Budgets.Where(s => s.ActiveAction != RoutingAction.Alert).Select(status => Row(
            $"<b>{Text(status.Budget.Name)}</b>",
            ActionBadge(status.ActiveAction),
            Text(Scope(status.Budget.Scope)),
            RuleDetail(status)));
        Table(html, "routing-rules", ["Budget", "Action", "Applies to", "What the handler does"], rules, "No budget rule in force: calls go out as written.");
        html.Append("<h3>Alert overrides</h3>");
        var overrides = snapshot.Overrides.Select(o => Row(
            $"<span class=\"mono\">{Text(o.Id)}</span>",
            Text(o.Name),
            ActionBadge(o.Action),
            Text(Scope(o.Scope)),
            Text(o.DowngradeTo ?? o.FreeModel)));
        Table(html, "routing-overrides", ["Id", "Alert", "Action", "Applies to", "Model"], overrides, "No override from Alertmanager or Grafana alerts.");
        html.Append("</section>");
    }

    private static string RuleDetail(BudgetStatus status)
    {
        var threshold = status.Budget.Thresholds.LastOrDefault(t => t.Action == status.ActiveAction && t.Percent <= (status.ThresholdReached ?? 0));
        return status.ActiveAction switch
        {
            RoutingAction.Block => "answers 402 without calling OpenRouter (free models still pass)",
            RoutingAction.RouteFree => "sends calls to " + Text(threshold?.FreeModel),
            _ when threshold?.ModelMap is { Count: > 0 } map =>
                string.Join("<br>", map.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{Model(m.Key)} \u2192 {Model(m.Value)}")),
            _ => Dash,
        };
    }

    private static void DemoAlerts(StringBuilder html, Demo.DemoRuntime demo)
    {
        html.Append("<section id=\"demo-alerts\"><h2>Alerts received by the demo webhook</h2><p class=\"muted small\">The demo adds its own receiver to ")
            .Append("<span class=\"mono\">Alerts:Webhooks</span>; it verifies <span class=\"mono\">X-LlmMeter-Signature</span> on each delivery.</p>");
        var rows = demo.Simulator.Alerts.Recent.Take(15).Select(a => Row(
            Text(Clock(a.ReceivedAt)),
            Text(a.Type),
            Text(a.Budget),
            Num(a.ThresholdPercent is { } t ? Text(Percent(t)) : Dash),
            Num(Money(a.SpentUsd) + " / " + Money(a.LimitUsd)),
            Text(a.RoutingAction)));
        Table(html, "demo-alerts-table", ["Received", "Event", "Budget", Num("Threshold"), Num("Spent / limit"), "Routing"], rows, "No alert yet: they come as the demo budget crosses 50, 80 and 100 %.");
        html.Append("</section>");
    }

    private static void Calls(StringBuilder html, IReadOnlyList<LlmCallRecord> calls)
    {
        html.Append("<section id=\"calls\"><h2>Recent calls</h2>");
        var rows = calls.Select(call =>
        {
            var served = call.ServedModel is null ? Dash : Model(call.ServedModel, call.ServedModel == call.RequestedModel ? "muted" : "changed");
            var team = call.Tags.TryGetValue("team", out var t) ? t : null;
            var latency = Text(Ms(call.LatencyMs))
                + (call.Stream ? "<br><span class=\"muted small\">stream" + (call.TtftMs is { } ttft ? ", TTFT " + Text(Ms(ttft)) : string.Empty) + "</span>" : string.Empty);
            return Row(
                $"<span class=\"nw\" title=\"{Text(Iso(call.StartedAt))}\">{Text(Clock(call.StartedAt))}</span>",
                "<span class=\"nw\">" + Text(call.App) + "</span><br><span class=\"muted small nw\">team " + Text(team) + "</span>",
                Model(call.RequestedModel),
                served,
                call.FallbackUsed ? Badge("fallback", "warn") : Dash,
                Num(latency),
                Num(Count(call.InputTokens) + " / " + Count(call.OutputTokens)),
                Num(Money(call.CostUsd) + (call.CostUsd is null ? string.Empty : $"<br><span class=\"muted small\">{Text(Wire(call.CostSource))}</span>")),
                Outcome(call));
        });
        Table(html, "calls-table", ["Time", "App", "Requested", "Served", "Fallback", Num("Latency"), Num("Tokens in / out"), Num("Cost"), "Outcome"], rows, "No calls yet.");
        html.Append("</section>");
    }

    private static string Outcome(LlmCallRecord call)
    {
        var kind = call.Outcome switch
        {
            LlmCallOutcome.Success => "ok",
            LlmCallOutcome.Blocked => "bad",
            _ => "warn",
        };
        var text = Badge(Wire(call.Outcome) + (call.StatusCode is { } status && call.Outcome != LlmCallOutcome.Success ? " " + status.ToString(CultureInfo.InvariantCulture) : string.Empty), kind);
        if (call.ErrorType is { } error)
        {
            text += "<br><span class=\"muted small\">" + Text(Wire(error)) + "</span>";
        }

        if (call.Routing is { } routing && call.Outcome != LlmCallOutcome.Blocked)
        {
            text += "<br><span class=\"small\">" + Text(routing.Action) + " from " + Model(routing.OriginalModel) + "</span>";
        }

        return text;
    }

    private static string ActionBadge(RoutingAction action) => Badge(ActionName(action), action switch
    {
        RoutingAction.Block => "bad",
        RoutingAction.Downgrade or RoutingAction.RouteFree => "warn",
        _ => "info",
    });

    private static string ActionName(RoutingAction action) => Budgets.BudgetEvents.Name(action);

    private static string Wire<TEnum>(TEnum value)
        where TEnum : struct, Enum => Query.Wire.SnakeCase(value);

    private static string Scope(PolicyScope scope)
    {
        var parts = new List<string>(5);
        void Add(string key, string? value)
        {
            if (value is not null)
            {
                parts.Add(key + "=" + value);
            }
        }

        Add("app", scope.App);
        Add("team", scope.Team);
        Add("tag", scope.Tag);
        Add("model", scope.Model);
        Add("provider", scope.Provider);
        return parts.Count == 0 ? "everything" : string.Join(", ", parts);
    }
}
