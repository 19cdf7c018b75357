namespace LlmMeter.Collector.Query;

internal static class QueryEndpoints
{
    public static IEndpointRouteBuilder MapQueryEndpoints(this IEndpointRouteBuilder app) => app; // TODO(api helper)
}
