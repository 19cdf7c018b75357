namespace LlmMeter.Collector.Auth;

/// <summary>Bearer-key checks for endpoints: <c>.RequireKey(KeyScope.Read)</c>.</summary>
internal static class KeyAuthorization
{
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, KeyScope scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var keys = http.RequestServices.GetRequiredService<ApiKeys>();
            var (known, allowed) = keys.Check(BearerToken(http.Request), scope);
            if (allowed)
            {
                return await next(context).ConfigureAwait(false);
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
                detail: $"This key is not allowed here: the endpoint needs the {scope.ToString().ToLowerInvariant()} key or the admin key.");
        });

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Prefix = "Bearer ";
        return header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? header[Prefix.Length..].Trim() : null;
    }
}
