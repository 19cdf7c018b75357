using Microsoft.AspNetCore.Diagnostics;

namespace LlmMeter.Collector.Hosting;

/// <summary>
/// Kestrel reports a broken request body (malformed chunked framing, a body shorter than its Content-Length, one over
/// the server's size limit, one sent too slowly) by throwing <see cref="BadHttpRequestException"/> from the body
/// stream, in whatever endpoint is reading it. Without this handler the exception handler answers those client
/// mistakes with 500; here they get the exception's own status (400, 408, 413) as ProblemDetails, for every endpoint.
/// A chunk size too large to parse arrives as an <see cref="IOException"/> around an <see cref="OverflowException"/>: 400 too.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var status = exception switch
        {
            BadHttpRequestException bad => bad.StatusCode,
            // Kestrel reports a chunk size too large for its parser as an IOException around the OverflowException.
            IOException { InnerException: OverflowException } => StatusCodes.Status400BadRequest,
            _ => 0,
        };
        if (status == 0 || httpContext.Response.HasStarted)
        {
            return false;
        }

        // Kestrel's messages describe the framing only ("Bad chunk size data."), never the body's content.
        LogRefused(logger, status, httpContext.Request.Method, httpContext.Request.Path, exception.Message);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = status == StatusCodes.Status413PayloadTooLarge ? "Request too large" : "Malformed request",
                Detail = $"The request body could not be read: {exception.Message} Nothing of it was applied.",
            },
        }).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a request with {Status}: {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string method, PathString path, string reason);
}
