using System.Globalization;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Ingest;
using Microsoft.AspNetCore.Mvc;

namespace LlmMeter.Collector.Alerts;

/// <summary>Registration of the outgoing alert webhooks and the delivery log endpoint.</summary>
internal static class AlertEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1_000;

    /// <summary>The outbox (<see cref="IAlertOutbox"/>), its delivery worker and the webhooks' HttpClient.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services)
    {
        services.AddSingleton<WebhookEndpoints>();
        services.AddSingleton<SqliteAlertStore>();
        services.AddSingleton<AlertSignal>();
        services.AddSingleton<AlertOutbox>();
        services.AddSingleton<IAlertOutbox>(provider => provider.GetRequiredService<AlertOutbox>());
        services.AddSingleton<WebhookSender>();
        services.AddHttpClient(WebhookSender.HttpClientName)
            .ConfigureHttpClient((provider, client) =>
                client.Timeout = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.CollectorOptions>>().Value.Alerts.RequestTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            // The factory's loggers write request URLs, and a webhook URL can be the secret itself (Slack).
            .RemoveAllLoggers();
        services.AddHostedService<AlertDeliveryWorker>();
        return services;
    }

    /// <summary><c>GET /v1/alerts/deliveries?limit=&amp;status=</c> (admin key): the delivery log, newest first.</summary>
    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/alerts/deliveries", DeliveriesAsync).RequireKey(KeyScope.Admin);
        return app;
    }

    private static async Task<IResult> DeliveriesAsync(HttpRequest request, [FromServices] SqliteAlertStore store)
    {
        var limit = DefaultLimit;
        if (request.Query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return ApiProblems.BadParameter("limit", string.Create(CultureInfo.InvariantCulture, $"limit must be an integer from 1 to {MaxLimit} (got '{limitText}')."));
        }

        string? status = null;
        if (request.Query.TryGetValue("status", out var statusText))
        {
            status = statusText.ToString();
            if (!DeliveryStatus.All.Contains(status))
            {
                return ApiProblems.BadParameter("status", $"status must be one of {string.Join(", ", DeliveryStatus.All)} (got '{status}').");
            }
        }

        var rows = await store.ListAsync(limit, status, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(new DeliveryLog([.. rows.Select(DeliveryView.From)]));
    }
}

/// <summary>The body of <c>GET /v1/alerts/deliveries</c>.</summary>
internal sealed record DeliveryLog(IReadOnlyList<DeliveryView> Deliveries);

/// <summary>One delivery of one event to one webhook; times are UTC ISO 8601, absent members are omitted.</summary>
internal sealed record DeliveryView(
    long Id,
    string EventId,
    string EventType,
    string BudgetId,
    long EndpointIndex,
    string EndpointUrl,
    string Format,
    string Status,
    long Attempts,
    long? LastStatusCode,
    string? LastError,
    string CreatedAt,
    string? NextAttemptAt,
    string? LastAttemptAt,
    string? DeliveredAt)
{
    public static DeliveryView From(DeliveryLogRow row) => new(
        row.Id,
        row.EventId,
        row.EventType,
        row.BudgetId,
        row.EndpointIndex,
        row.EndpointUrl,
        row.Format,
        row.Status,
        row.Attempts,
        row.LastStatusCode,
        row.LastError,
        Time(row.CreatedAtMs)!,
        Time(row.NextAttemptMs),
        Time(row.LastAttemptMs),
        Time(row.DeliveredAtMs));

    private static string? Time(long? ms) => ms is { } value ? WebhookPayload.Time(DateTimeOffset.FromUnixTimeMilliseconds(value)) : null;
}
