using System.Globalization;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Metrics;
using LlmMeter.Collector.Store;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LlmMeter.Collector.Ingest;

/// <summary>
/// <c>POST /v1/calls</c>: a JSON array or NDJSON of records. Every valid record is stored and each invalid one is
/// named in the answer's <c>rejected</c> (200); only a body that cannot be read as a whole is refused (400).
/// </summary>
internal static class IngestEndpoints
{
    public static IEndpointRouteBuilder MapIngestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/calls", IngestAsync).RequireKey(KeyScope.Ingest);
        return app;
    }

    private static async Task<IResult> IngestAsync(
        HttpContext http,
        [FromServices] ICallStore store,
        [FromServices] CollectorMetrics metrics,
        [FromServices] IOptions<CollectorOptions> options,
        [FromServices] TimeProvider time)
    {
        var request = http.Request;
        var limits = options.Value.Ingest;
        if (FormatOf(request.ContentType) is not { } format)
        {
            return ApiProblems.UnsupportedMediaType(request.ContentType);
        }

        // Refused before reading a byte when the size is declared; chunked bodies are counted while read.
        if (request.ContentLength > limits.MaxRequestBytes)
        {
            return TooManyBytes(limits.MaxRequestBytes);
        }

        using var body = await BodyBuffer.ReadAsync(request, limits.MaxRequestBytes, http.RequestAborted).ConfigureAwait(false);
        if (body.TooLarge)
        {
            return TooManyBytes(limits.MaxRequestBytes);
        }

        var parsed = format == BodyFormat.Array
            ? RecordParser.ParseArray(body.Span, limits.MaxRecordsPerRequest)
            : RecordParser.ParseNdjson(body.Span, limits.MaxRecordsPerRequest);
        if (parsed.TooMany)
        {
            return ApiProblems.TooLarge(string.Create(
                CultureInfo.InvariantCulture,
                $"At most {limits.MaxRecordsPerRequest} records per request (Ingest:MaxRecordsPerRequest): split the batch."));
        }

        if (parsed.Error is { } error)
        {
            metrics.OnRejected(Math.Max(1, parsed.KnownCount ?? 1));
            return ApiProblems.BadRecord(error);
        }

        parsed.RejectInvalid(time.GetUtcNow());
        metrics.OnRejected(parsed.Rejected);
        if (parsed.Records.Count == 0)
        {
            return TypedResults.Ok(new IngestResponse(0, 0, parsed.Rejected));
        }

        var result = await store.InsertAsync(parsed.Records, parsed.WireJson, http.RequestAborted).ConfigureAwait(false);
        metrics.OnIngested(result);
        return TypedResults.Ok(new IngestResponse(result.Accepted.Count, result.Duplicates, parsed.Rejected));
    }

    private static IResult TooManyBytes(long max) =>
        ApiProblems.TooLarge(string.Create(
            CultureInfo.InvariantCulture,
            $"The body is larger than {max} bytes (Ingest:MaxRequestBytes): split the batch."));

    private enum BodyFormat
    {
        Array,
        Lines,
    }

    private static BodyFormat? FormatOf(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return null;
        }

        if (media.Charset.HasValue && !media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return media.MediaType.Value?.ToLowerInvariant() switch
        {
            "application/json" => BodyFormat.Array,
            "application/x-ndjson" or "application/jsonl" => BodyFormat.Lines,
            _ => null,
        };
    }
}
