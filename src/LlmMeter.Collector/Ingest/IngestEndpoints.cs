namespace LlmMeter.Collector.Ingest;

internal static class IngestEndpoints
{
    public static IEndpointRouteBuilder MapIngestEndpoints(this IEndpointRouteBuilder app) => app; // TODO(api helper)
}
