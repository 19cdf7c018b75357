using System.Globalization;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Ingest;
using Microsoft.AspNetCore.Mvc;

namespace LlmMeter.Collector.Policy;

/// <summary>
/// <c>POST /v1/alerts/alertmanager</c> and <c>POST /v1/alerts/grafana</c>: webhook notifications whose alerts carry
/// <c>llmmeter_*</c> labels set routing overrides while they fire (see <see cref="AlertOverrides"/>). Other alerts
/// are acknowledged (200) so the sender does not retry them; a body that is not a notification gets 400.
/// </summary>
internal static class AlertReceiverEndpoints
{
    public const string Alertmanager = "alertmanager";
    public const string Grafana = "grafana";

    public static IEndpointRouteBuilder MapAlertReceivers(this IEndpointRouteBuilder app)
    {
        var auth = app.ServiceProvider.GetRequiredService<ReceiverAuth>();
        var alertmanager = app.MapPost("/v1/alerts/alertmanager", (HttpContext http, [FromServices] ReceiverAuth a, [FromServices] RoutingOverrideStore s) => ReceiveAsync(http, Alertmanager, a, s));
        if (auth.HasAlertmanagerToken)
        {
            alertmanager.AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (auth.IsAlertmanagerAuthorized(http.Request, http.RequestServices.GetRequiredService<ApiKeys>()))
                {
                    return await next(context).ConfigureAwait(false);
                }

                http.Response.Headers.WWWAuthenticate = "Bearer";
                return Unauthorized("Send the token configured as Receivers:AlertmanagerToken as 'Authorization: Bearer <token>' (webhook_config http_config.authorization).");
            });
        }
        else
        {
            alertmanager.RequireKey(KeyScope.Admin);
        }

        // With a secret the signature is checked in the handler, over the raw body; without one the admin key is needed.
        var grafana = app.MapPost("/v1/alerts/grafana", (HttpContext http, [FromServices] ReceiverAuth a, [FromServices] RoutingOverrideStore s) => ReceiveAsync(http, Grafana, a, s));
        if (!auth.HasGrafanaSecret)
        {
            grafana.RequireKey(KeyScope.Admin);
        }

        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext http, string source, ReceiverAuth auth, RoutingOverrideStore store)
    {
        using var body = await BodyBuffer.ReadAsync(http.Request, auth.Options.MaxRequestBytes, http.RequestAborted).ConfigureAwait(false);
        if (body.TooLarge)
        {
            return ApiProblems.TooLarge(string.Create(CultureInfo.InvariantCulture, $"The notification is larger than Receivers:MaxRequestBytes ({auth.Options.MaxRequestBytes} bytes)."));
        }

        if (source == Grafana && auth.HasGrafanaSecret && auth.CheckGrafanaSignature(http.Request, body.Span) is { } refused)
        {
            return Unauthorized(refused);
        }

        if (!AlertPayload.TryParse(body.Span, out var alerts, out var error))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid alert notification",
                detail: error!.Message + " No override was changed.",
                extensions: error.Field is null ? null : new Dictionary<string, object?> { ["field"] = error.Field });
        }

        var plan = AlertOverrides.Plan(source, alerts);
        var (set, removed) = await store.ApplyAsync(plan.Changes, http.RequestAborted).ConfigureAwait(false);
        var removals = plan.Changes.Count(c => c.Upsert is null);
        return TypedResults.Ok(new AlertReceipt(
            [.. set.Distinct(StringComparer.Ordinal)],
            removed,
            plan.Ignored + removals - removed.Count, // resolved alerts with no override in force change nothing
            plan.Problems));
    }

    private static IResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: detail);
}

/// <summary>The answer to a notification: overrides set (or refreshed), overrides removed, alerts that changed nothing, and why some were refused.</summary>
internal sealed record AlertReceipt(IReadOnlyList<string> Applied, IReadOnlyList<string> Removed, int Ignored, IReadOnlyList<AlertProblem> Problems);
