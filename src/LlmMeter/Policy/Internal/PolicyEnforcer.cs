using System.Globalization;
using System.Net;
using System.Text.Json;
using LlmMeter.Internal;
using LlmMeter.Record.Internal;
using LlmMeter.Request;

namespace LlmMeter.Policy.Internal;

/// <summary>Applies a routing decision to a call about to go out: rewrite its model, or answer it with a 402.</summary>
internal static class PolicyEnforcer
{
    /// <summary>Decides, and for a call that goes out reserves its place in the budgets it falls in (released when it ends).</summary>
    public static RoutingDecision Decide(PolicyState policy, MeterCore core, CallState call)
    {
        var request = call.Request;
        var model = request.RequestedModel;
        var preferred = request.Providers is { Length: > 0 } providers ? providers[0] : null;
        List<BudgetEntry>? matched = null;
        var decision = policy.Current.Decide(core.App, call.Tags, model, preferred, IsFree(core, model), ref matched);
        if (matched is not null && decision.Action != RoutingAction.Block)
        {
            foreach (var budget in matched)
            {
                budget.Reserve();
            }

            call.BudgetReservations = matched;
        }

        return decision;
    }

    /// <summary>The call ended and its cost was counted: its reservations end.</summary>
    public static void Release(CallState call)
    {
        if (call.BudgetReservations is { } reserved)
        {
            call.BudgetReservations = null;
            foreach (var budget in reserved)
            {
                budget.Release();
            }
        }
    }

    /// <summary>Rewrites the request body's models. False when the body could not be rewritten (the call goes out unchanged).</summary>
    public static bool TryRewrite(HttpRequestMessage request, CallState call, RoutingDecision decision, CancellationToken cancellationToken)
    {
        // An unread body (no body, or one that failed to buffer) is never rewritten: it goes out as it is.
        if (request.Content is not { } content || decision.Mapper is not { } mapper || !RequestBodyReader.WasRead(call.Request))
        {
            return false;
        }

        // The meter buffered the body when it read it (both paths), so reading it again is safe and synchronous.
        using var buffer = new MemoryStream();
        content.CopyTo(buffer, null, cancellationToken);
        if (RequestRewriter.Rewrite(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), mapper) is not { } body)
        {
            return false;
        }

        var rewritten = new BufferedRequestContent(body, content, sameBytes: false);
        request.Content = rewritten;
        var info = call.Request;
        var original = info.RequestedModel;
        info.Model = info.Model is { } m ? mapper.Map(m) ?? m : null;
        info.Models = info.Models?.Select(m => mapper.Map(m) ?? m).ToArray();
        call.Routing = new LlmRoutingInfo(decision.RuleId, ActionName(decision.Action), original);
        return true;
    }

    /// <summary>The 402 OpenRouter itself answers when credits run out, with the budget in its metadata.</summary>
    public static HttpResponseMessage Block(HttpRequestMessage request, CallState call, RoutingDecision decision)
    {
        call.Routing = new LlmRoutingInfo(decision.RuleId, ActionName(RoutingAction.Block), call.Request.RequestedModel);
        var body = BlockedBody(decision);
        var response = new HttpResponseMessage(HttpStatusCode.PaymentRequired)
        {
            RequestMessage = request,
            Content = new ByteArrayContent(body),
        };
        response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        response.Headers.TryAddWithoutValidation("X-LlmMeter-Blocked", decision.RuleId);
        call.FinishBlocked((int)HttpStatusCode.PaymentRequired);
        return response;
    }

    public static string ActionName(RoutingAction action) => action switch
    {
        RoutingAction.Downgrade => "downgrade",
        RoutingAction.RouteFree => "route_free",
        RoutingAction.Block => "block",
        _ => "alert",
    };

    private static byte[] BlockedBody(RoutingDecision decision)
    {
        var budget = decision.Budget?.Budget;
        var message = budget is null
            ? $"LlmMeter budget alert '{decision.Name}' blocks this call; it was not sent to OpenRouter."
            : string.Create(
                CultureInfo.InvariantCulture,
                $"LlmMeter budget '{budget.Name}' blocks this call: ${decision.Budget!.CurrentUsd:0.####} of ${budget.LimitUsd:0.##} spent this period (until {budget.PeriodEnd:yyyy-MM-dd'T'HH:mm:ss'Z'}); it was not sent to OpenRouter.");
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteNumber("code", 402);
            json.WriteString("message", message);
            json.WriteStartObject("metadata");
            json.WriteString("source", "llmmeter");
            json.WriteString("rule_id", decision.RuleId);
            json.WriteString("action", "block");
            if (budget is not null)
            {
                json.WriteString("budget_id", budget.Id);
                json.WriteString("budget_name", budget.Name);
                json.WriteNumber("limit_usd", budget.LimitUsd);
                json.WriteNumber("spent_usd", decimal.Round(decision.Budget!.CurrentUsd, 10));
                json.WriteString("period_end", budget.PeriodEnd.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }
            else
            {
                json.WriteString("alert", decision.Name);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static bool IsFree(MeterCore core, string? model)
    {
        if (model is null)
        {
            return false;
        }

        if (model.EndsWith(":free", StringComparison.Ordinal))
        {
            return true;
        }

        return core.Prices.Current.TryGetPrice(model, out var price) && price.IsFree;
    }
}
