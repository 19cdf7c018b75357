using System.Globalization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Hosting;

/// <summary>One route of the running app and the methods it answers, as its endpoint data source lists them.</summary>
/// <param name="AnyMethod">The route takes every method (no method metadata, e.g. the Prometheus scrape).</param>
internal sealed record AppRoute(string Method, string Path, string Pattern, bool AnyMethod)
{
    public override string ToString() => $"{Method} {Path}";
}

/// <summary>The app's routes from <see cref="EndpointDataSource"/>, never a hand-kept list: a new endpoint is tested the day it is mapped.</summary>
internal static class AppRoutes
{
    /// <summary>Methods tried on a route that accepts any method.</summary>
    public static readonly string[] AnyMethod = ["GET", "POST", "PUT", "DELETE", "PATCH"];

    public static IReadOnlyList<AppRoute> Of(IServiceProvider services)
    {
        var routes = new List<AppRoute>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var path = "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => "route-" + parameter.Name.ToLowerInvariant(),
                _ => string.Empty,
            }))));
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
            foreach (var method in methods is { Count: > 0 } ? methods : AnyMethod)
            {
                routes.Add(new AppRoute(method.ToUpper(CultureInfo.InvariantCulture), path, pattern.RawText ?? path, methods is not { Count: > 0 }));
            }
        }

        return routes;
    }
}
