using System.Text;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Demo;
using LlmMeter.Collector.Store;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Status;

/// <summary>What the status page shows, read once per request.</summary>
internal sealed record StatusSnapshot
{
    public required DateTimeOffset Now { get; init; }

    public required string Store { get; init; }

    /// <summary>Spend since midnight UTC, grouped by model and team.</summary>
    public required IReadOnlyList<SpendRow> Today { get; init; }

    /// <summary>Spend since the first of the month (UTC), grouped by model and team.</summary>
    public required IReadOnlyList<SpendRow> Month { get; init; }

    public required IReadOnlyList<BudgetStatus> Budgets { get; init; }

    public required IReadOnlyList<PolicyOverride> Overrides { get; init; }

    /// <summary>The newest calls, newest first.</summary>
    public required IReadOnlyList<LlmCallRecord> Calls { get; init; }

    /// <summary>The running demo, when the collector runs with <c>--demo</c>.</summary>
    public DemoRuntime? Demo { get; init; }
}

/// <summary>
/// <c>GET /</c>: the built-in status page, server-rendered HTML with no external assets, refreshing itself every
/// 5 s. It needs the read key when keys are configured, as a bearer header like the API: a key never goes in a URL,
/// so behind keys open it through a reverse proxy that adds the header, or with curl.
/// </summary>
internal static class StatusPageEndpoints
{
    public const int RecentCalls = 20;

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", RenderAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task RenderAsync(HttpContext http)
    {
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // Defence in depth behind the encoding: no script, frame, form or remote resource can run or load.
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

        var keys = http.RequestServices.GetRequiredService<ApiKeys>();
        var (known, allowed) = keys.Check(KeyAuthorization.BearerToken(http.Request), KeyScope.Read);
        if (!allowed)
        {
            if (!known)
            {
                response.Headers.WWWAuthenticate = "Bearer";
            }

            await WriteAsync(response, known ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized, StatusPageRenderer.Unauthorized(known)).ConfigureAwait(false);
            return;
        }

        var snapshot = await LoadAsync(http.RequestServices, http.RequestAborted).ConfigureAwait(false);
        await WriteAsync(response, StatusCodes.Status200OK, StatusPageRenderer.Render(snapshot)).ConfigureAwait(false);
    }

    private static async Task<StatusSnapshot> LoadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<ICallStore>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = now.AddMilliseconds(1);
        SpendDimension[] groups = [SpendDimension.Model, SpendDimension.Team];
        var todaySpend = await store.QuerySpendAsync(new SpendQuery { From = today, To = end, GroupBy = groups }, cancellationToken).ConfigureAwait(false);
        var monthSpend = await store.QuerySpendAsync(new SpendQuery { From = month, To = end, GroupBy = groups }, cancellationToken).ConfigureAwait(false);
        var calls = await store.QueryCallsAsync(new CallQuery { Limit = RecentCalls }, cancellationToken).ConfigureAwait(false);
        return new StatusSnapshot
        {
            Now = now,
            Store = store.Description,
            Today = todaySpend,
            Month = monthSpend,
            Budgets = services.GetService<IBudgetState>()?.Current ?? [],
            Overrides = services.GetService<IRoutingOverrides>()?.Active ?? [],
            Calls = calls.Calls,
            Demo = services.GetService<DemoRuntime>(),
        };
    }

    private static async Task WriteAsync(HttpResponse response, int status, string html)
    {
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(html);
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes).ConfigureAwait(false);
    }
}
