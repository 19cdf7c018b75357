using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LlmMeter.Collector.Ingest;

/// <summary>The API's RFC 7807 errors (application/problem+json), shared by ingest and the queries.</summary>
internal static class ApiProblems
{
    /// <summary>400 for a query-string parameter; the extension <c>parameter</c> names it.</summary>
    public static ProblemHttpResult BadParameter(string parameter, string detail) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid query parameter",
            detail: detail,
            extensions: new Dictionary<string, object?> { ["parameter"] = parameter });

    /// <summary>400 for an ingest body that cannot be read as a whole; <c>index</c> (0-based record) and <c>field</c> (JSON name) when known.</summary>
    public static ProblemHttpResult BadRecord(RecordError error)
    {
        var extensions = new Dictionary<string, object?>();
        if (error.Index is { } index)
        {
            extensions["index"] = index;
        }

        if (error.Field is { } field)
        {
            extensions["field"] = field;
        }

        var where = error.Index is { } i
            ? error.Field is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"Record {i}, field '{f}': ")
                : string.Create(CultureInfo.InvariantCulture, $"Record {i}: ")
            : string.Empty;
        return TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid records",
            detail: where + error.Message + " Nothing of this request was stored.",
            extensions: extensions);
    }

    public static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large", detail: detail);

    public static ProblemHttpResult UnsupportedMediaType(string? contentType) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            title: "Unsupported media type",
            detail: $"Content-Type '{contentType}' is not accepted: send application/json (an array of records) or application/x-ndjson / application/jsonl (one record per line).");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}
