using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Query;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace LlmMeter.Collector.Policy;

/// <summary>
/// The routing policy handlers poll (<c>GET /v1/policy</c>), the alert-driven overrides
/// (<c>GET /v1/overrides</c>, <c>DELETE /v1/overrides/{id}</c>) and the alert receivers that set them.
/// </summary>
internal static class PolicyEndpoints
{
    /// <summary>Registers the policy document, the override store (loaded at start) and the receivers' auth.</summary>
    public static IServiceCollection AddRoutingPolicy(this IServiceCollection services)
    {
        services.AddSingleton<RoutingOverrideStore>();
        services.AddSingleton<IRoutingOverrides>(sp => sp.GetRequiredService<RoutingOverrideStore>());
        services.AddSingleton<PolicyDocument>();
        services.AddSingleton<ReceiverAuth>();
        // After the store's migration service (registered earlier), before Kestrel listens.
        services.AddHostedService<RoutingOverridesLoader>();
        return services;
    }

    public static IEndpointRouteBuilder MapRoutingPolicy(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/policy", GetPolicy).RequireKey(KeyScope.Read);
        app.MapGet("/v1/overrides", ListOverrides).RequireKey(KeyScope.Read);
        app.MapDelete("/v1/overrides/{id}", DeleteOverrideAsync).RequireKey(KeyScope.Admin);
        app.MapAlertReceivers();
        return app;
    }

    private static IResult GetPolicy(HttpContext http, [FromServices] PolicyDocument document)
    {
        var snapshot = document.Current();
        var headers = http.Response.Headers;
        headers.ETag = snapshot.ETag;
        headers.CacheControl = "no-cache"; // Caches must ask again each time; the ETag makes that cheap.
        return Matches(http.Request, snapshot.ETag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(snapshot.Body, "application/json; charset=utf-8");
    }

    private static IResult ListOverrides([FromServices] RoutingOverrideStore store) =>
        TypedResults.Ok(new OverrideList([.. store.All.Select(OverrideView.From)]));

    private static async Task<IResult> DeleteOverrideAsync(string id, HttpContext http, [FromServices] RoutingOverrideStore store) =>
        await store.RemoveAsync(id, http.RequestAborted).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"No routing override with id '{id}'.");

    // If-None-Match uses the weak comparison (RFC 9110 13.1.2); "*" matches any current representation.
    private static bool Matches(HttpRequest request, string etag)
    {
        if (!EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags))
        {
            return false;
        }

        var current = EntityTagHeaderValue.Parse(etag);
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false));
    }
}

/// <summary><c>GET /v1/overrides</c>.</summary>
internal sealed record OverrideList(IReadOnlyList<OverrideView> Overrides);

/// <summary>One override as the API shows it: what it does, where it came from, since when.</summary>
internal sealed record OverrideView(
    string Id,
    string? Name,
    string Action,
    LlmMeter.Policy.PolicyScope Scope,
    string? DowngradeTo,
    string? FreeModel,
    string Source,
    string CreatedAt,
    string UpdatedAt)
{
    public static OverrideView From(StoredOverride stored) => new(
        stored.Override.Id,
        stored.Override.Name,
        ActionNames.ToWire(stored.Override.Action),
        stored.Override.Scope,
        stored.Override.DowngradeTo,
        stored.Override.FreeModel,
        stored.Source,
        Wire.Time(stored.CreatedAt),
        Wire.Time(stored.UpdatedAt));
}
