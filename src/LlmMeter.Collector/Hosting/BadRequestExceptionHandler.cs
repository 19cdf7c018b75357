using Microsoft.AspNetCore.Diagnostics;

namespace LlmMeter.Collector.Hosting;

/// <summary>
/// Kestrel reports a broken request body (malformed chunked framing, a body shorter than its Content-Length, one over
/// the server's size limit, one sent too slowly) by throwing <see cref="BadHttpRequestException"/> from the body
/// stream, in whatever endpoint is reading it. Without this handler the exception handler answers those client
/// mistakes with 500; here they get the exception's own status (400, 408, 413) as ProblemDetails, for every endpoint.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        // Kestrel's messages describe the framing only ("Bad chunk size data."), never the body's content.
        LogRefused(logger, bad.StatusCode, httpContext.Request.Method, httpContext.Request.Path, bad.Message);
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request too large" : "Malformed request",
                Detail = $"The request body could not be read: {bad.Message} Nothing of it was applied.",
            },
        }).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a request with {Status}: {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string method, PathString path, string reason);
}
