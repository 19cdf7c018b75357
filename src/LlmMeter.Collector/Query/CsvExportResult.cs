using System.Globalization;
using System.Text;
using LlmMeter.Collector.Store;
using Microsoft.AspNetCore.Http.Features;

namespace LlmMeter.Collector.Query;

/// <summary>
/// <c>GET /v1/export.csv</c>: rows are written to the response as the store yields them and flushed every
/// <see cref="FlushEvery"/> rows, so memory stays flat whatever the export's size. RFC 4180 (CRLF, quotes doubled)
/// with spreadsheet formula injection neutralised (see <see cref="AppendText"/>).
/// </summary>
internal sealed class CsvExportResult(ICallStore store, CallQuery query) : IResult
{
    public const string Header =
        "id,started_at,app,team,endpoint,requested_model,served_model,fallback_used,provider,stream,status_code,outcome,"
        + "error_type,finish_reason,latency_ms,ttft_ms,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens,cost_usd,cost_source\r\n";

    private const int FlushEvery = 256;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = "attachment; filename=\"llmmeter-calls.csv\"";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var cancellationToken = httpContext.RequestAborted;
        var output = response.BodyWriter;
        var line = new StringBuilder(512);
        Encoding.UTF8.GetBytes(Header, output);
        var pending = 0;
        // A store failure after the first bytes escapes to the server, which then aborts the connection
        // instead of ending the chunked body: the client sees a broken download, never a silently short file.
        await foreach (var record in store.StreamCallsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            line.Clear();
            AppendRow(line, record);
            foreach (var chunk in line.GetChunks())
            {
                Encoding.UTF8.GetBytes(chunk.Span, output);
            }

            if (++pending == FlushEvery)
            {
                pending = 0;
                var flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
            }
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One CSV line (with its CRLF) in the column order of <see cref="Header"/>.</summary>
    internal static void AppendRow(StringBuilder line, LlmCallRecord record)
    {
        AppendText(line, record.Id).Append(',');
        line.Append(Wire.Time(record.StartedAt)).Append(',');
        AppendText(line, record.App).Append(',');
        AppendText(line, record.Tags?.GetValueOrDefault("team")).Append(',');
        AppendText(line, record.Endpoint).Append(',');
        AppendText(line, record.RequestedModel).Append(',');
        AppendText(line, record.ServedModel).Append(',');
        line.Append(record.FallbackUsed ? "true" : "false").Append(',');
        AppendText(line, record.Provider).Append(',');
        line.Append(record.Stream ? "true" : "false").Append(',');
        AppendNumber(line, record.StatusCode).Append(',');
        line.Append(Wire.SnakeCase(record.Outcome)).Append(',');
        line.Append(record.ErrorType is { } error ? Wire.SnakeCase(error) : string.Empty).Append(',');
        AppendText(line, record.FinishReason).Append(',');
        AppendNumber(line, record.LatencyMs).Append(',');
        AppendNumber(line, record.TtftMs).Append(',');
        AppendNumber(line, record.InputTokens).Append(',');
        AppendNumber(line, record.CachedInputTokens).Append(',');
        AppendNumber(line, record.OutputTokens).Append(',');
        AppendNumber(line, record.ReasoningTokens).Append(',');
        AppendNumber(line, record.CostUsd).Append(',');
        line.Append(Wire.SnakeCase(record.CostSource)).Append("\r\n");
    }

    /// <summary>
    /// A text cell. One starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR would run as a formula in a
    /// spreadsheet: it gets a leading apostrophe and is quoted. Cells with a comma, quote or line break are
    /// quoted with inner quotes doubled.
    /// </summary>
    internal static StringBuilder AppendText(StringBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return line;
        }

        var formula = value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
        if (!formula && value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return line.Append(value);
        }

        line.Append('"');
        if (formula)
        {
            line.Append('\'');
        }

        return line.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static StringBuilder AppendNumber<T>(StringBuilder line, T? value)
        where T : struct, IFormattable =>
        value is { } number ? line.Append(number.ToString(null, CultureInfo.InvariantCulture)) : line;

    private static StringBuilder AppendNumber<T>(StringBuilder line, T value)
        where T : struct, IFormattable =>
        line.Append(value.ToString(null, CultureInfo.InvariantCulture));
}
