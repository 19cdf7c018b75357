using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace LlmMeter.Collector.Alerts;

/// <summary>How one HTTP attempt ended.</summary>
internal enum AttemptKind
{
    /// <summary>2xx: done, never sent again.</summary>
    Delivered,

    /// <summary>Timeout, network error, 408, 429 or 5xx: try again later.</summary>
    Retry,

    /// <summary>Any other status (4xx, a redirect): the receiver refuses it; not retried.</summary>
    Rejected,
}

internal readonly record struct AttemptResult(AttemptKind Kind, int? StatusCode, string? Error, TimeSpan? RetryAfter);

/// <summary>
/// POSTs one delivery through the named <see cref="HttpClient"/> (timeout <c>Alerts:RequestTimeout</c>, redirects not
/// followed: a POST turned into a GET would lose the body). Builds the body for the endpoint's format and signs it.
/// </summary>
internal sealed class WebhookSender
{
    public const string HttpClientName = "LlmMeter.Collector.Alerts";

    private const int MaxErrorLength = 300;
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;

    public WebhookSender(IHttpClientFactory httpClientFactory, TimeProvider time)
    {
        _httpClientFactory = httpClientFactory;
        _time = time;
    }

    /// <summary>The exact bytes sent for a stored payload in <paramref name="format"/>.</summary>
    public static byte[] Body(string payloadJson, string format) =>
        format == WebhookFormats.Slack ? SlackMessage.Render(payloadJson) : Encoding.UTF8.GetBytes(payloadJson);

    public async Task<AttemptResult> SendAsync(WebhookEndpoint endpoint, DueDelivery delivery, CancellationToken stoppingToken)
    {
        var body = Body(delivery.PayloadJson, delivery.Format);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = s_json;
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("LlmMeter-Collector", "1.0"));
        request.Headers.Add("X-LlmMeter-Event-Id", delivery.EventId);
        request.Headers.Add("X-LlmMeter-Event-Type", delivery.EventType);
        request.Headers.Add("X-LlmMeter-Delivery-Attempt", (delivery.Attempts + 1).ToString(CultureInfo.InvariantCulture));
        if (endpoint.Secret is { } secret)
        {
            request.Headers.Add(AlertSignature.HeaderName, AlertSignature.Header(secret, _time.GetUtcNow().ToUnixTimeSeconds(), body));
        }

        var client = _httpClientFactory.CreateClient(HttpClientName);
        try
        {
            // Headers only: a 2xx is final whatever its body, so nothing after it may turn it into a retry.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stoppingToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return new AttemptResult(AttemptKind.Delivered, status, null, null);
            }

            var error = await DescribeAsync(response, client.Timeout, stoppingToken).ConfigureAwait(false);
            return status is 408 or 429 or >= 500
                ? new AttemptResult(AttemptKind.Retry, status, error, RetryAfter(response))
                : new AttemptResult(AttemptKind.Rejected, status, error, null);
        }
        catch (HttpRequestException ex)
        {
            return new AttemptResult(AttemptKind.Retry, null, Truncate("network error: " + ex.Message), null);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return new AttemptResult(AttemptKind.Retry, null, string.Create(CultureInfo.InvariantCulture, $"timeout after {client.Timeout.TotalSeconds:0.###} s"), null);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        return wait is { } w && w < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>The status and the start of the receiver's explanation (Slack answers e.g. <c>invalid_payload</c>).</summary>
    private static async Task<string> DescribeAsync(HttpResponseMessage response, TimeSpan timeout, CancellationToken stoppingToken)
    {
        var text = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
        if (response.Headers.Location is { } location)
        {
            var target = location.IsAbsoluteUri ? WebhookEndpoint.Redact(location.AbsoluteUri, null) : "a relative URL";
            return Truncate($"{text}: redirect to {target} not followed");
        }

        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            cts.CancelAfter(timeout);
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            var buffer = new byte[MaxErrorLength * 4];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cts.Token).ConfigureAwait(false);
            var content = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return Truncate(content.Length == 0 ? text : $"{text}: {content}");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            return text;
        }
    }

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength] + "…";
}
