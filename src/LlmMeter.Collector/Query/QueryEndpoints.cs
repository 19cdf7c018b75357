using System.Text.Json;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Store;
using Microsoft.AspNetCore.Mvc;

namespace LlmMeter.Collector.Query;

/// <summary>The read-only API: spend, calls (keyset paged), one call, and the streamed CSV export.</summary>
internal static class QueryEndpoints
{
    public static IEndpointRouteBuilder MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/spend", SpendAsync).RequireKey(KeyScope.Read);
        app.MapGet("/v1/calls", CallsAsync).RequireKey(KeyScope.Read);
        app.MapGet("/v1/calls/{id}", CallAsync).RequireKey(KeyScope.Read);
        app.MapGet("/v1/export.csv", Export).RequireKey(KeyScope.Read);
        return app;
    }

    private static async Task<IResult> SpendAsync(
        HttpRequest request,
        [FromServices] ICallStore store,
        [FromServices] TimeProvider time)
    {
        if (!QueryParameters.TryParseSpend(request.Query, time.GetUtcNow(), out var query, out var problem))
        {
            return problem!;
        }

        var rows = await store.QuerySpendAsync(query, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return TypedResults.Ok(SpendResponse.Create(query, rows));
    }

    private static async Task<IResult> CallsAsync(HttpRequest request, [FromServices] ICallStore store)
    {
        if (!QueryParameters.TryParseCalls(request.Query, out var query, out var problem))
        {
            return problem!;
        }

        var page = await store.QueryCallsAsync(query, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return new CallPageResult(page);
    }

    private static async Task<IResult> CallAsync(string id, HttpContext http, [FromServices] ICallStore store)
    {
        var record = await store.GetCallAsync(id, http.RequestAborted).ConfigureAwait(false);
        return record is null
            ? ApiProblems.NotFound($"No call with id '{id}'.")
            : TypedResults.Json(record, LlmMeterJsonContext.Default.LlmCallRecord);
    }

    private static IResult Export(HttpRequest request, [FromServices] ICallStore store) =>
        QueryParameters.TryParseCalls(request.Query, out var query, out var problem)
            ? new CsvExportResult(store, query)
            : problem!;

    /// <summary>
    /// Writes <c>{"calls": [...], "next_cursor": ...}</c> with the records in their exact wire format and
    /// <c>next_cursor</c> always present (null on the last page), which the general JSON options would omit.
    /// </summary>
    private sealed class CallPageResult(CallPage page) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            // Over the pipe, not the stream: the serializer's own flushes are then in-memory, never synchronous I/O.
            var output = httpContext.Response.BodyWriter;
            await using var writer = new Utf8JsonWriter(output);
            writer.WriteStartObject();
            writer.WriteStartArray("calls");
            for (var i = 0; i < page.Calls.Count; i++)
            {
                JsonSerializer.Serialize(writer, page.Calls[i], LlmMeterJsonContext.Default.LlmCallRecord);
                if (i % 100 == 99)
                {
                    writer.Flush();
                    await output.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
                }
            }

            writer.WriteEndArray();
            if (page.NextCursor is null)
            {
                writer.WriteNull("next_cursor");
            }
            else
            {
                writer.WriteString("next_cursor", page.NextCursor);
            }

            writer.WriteEndObject();
            writer.Flush();
            await output.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
