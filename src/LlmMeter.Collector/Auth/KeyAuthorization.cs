namespace LlmMeter.Collector.Auth;

/// <summary>
/// Bearer-key checks: <c>.RequireKey(KeyScope.Read)</c> on a route handler, <see cref="UseKey"/> in a branch
/// pipeline (endpoints that are not route handlers, such as the Prometheus scrape, ignore endpoint filters).
/// </summary>
internal static class KeyAuthorization
{
    private const string Prefix = "Bearer ";

    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, KeyScope scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            Refusal(context.HttpContext, scope) ?? await next(context).ConfigureAwait(false));

    /// <summary>Middleware answering 401/403 before the rest of <paramref name="branch"/> runs.</summary>
    public static IApplicationBuilder UseKey(this IApplicationBuilder branch, KeyScope scope) =>
        branch.Use(async (http, next) =>
        {
            if (Refusal(http, scope) is { } refusal)
            {
                await refusal.ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            await next(http).ConfigureAwait(false);
        });

    /// <summary>Null when the request's key is allowed for <paramref name="scope"/>; else the 401 or 403 ProblemDetails.</summary>
    public static IResult? Refusal(HttpContext http, KeyScope scope)
    {
        var keys = http.RequestServices.GetRequiredService<ApiKeys>();
        var (known, allowed) = keys.Check(BearerToken(http.Request), scope);
        if (allowed)
        {
            return null;
        }

        if (!known)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Unauthorized",
                detail: "Send a valid key as 'Authorization: Bearer <key>'.");
        }

        return TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Forbidden",
            detail: $"This key is not allowed here: the endpoint needs {Needed(scope)}.");
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header, trimmed; null without one. Keys are never taken from the URL.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? header[Prefix.Length..].Trim() : null;
    }

    private static string Needed(KeyScope scope) => scope switch
    {
        KeyScope.Metrics => "the metrics, read or admin key",
        KeyScope.Admin => "the admin key",
        _ => $"the {scope.ToString().ToLowerInvariant()} key or the admin key",
    };
}
