using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmMeter.Collector.Hosting;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Reconciliation;

/// <summary>What a generation lookup found.</summary>
internal enum LookupStatus
{
    /// <summary>200 with a <c>total_cost</c>.</summary>
    Found,

    /// <summary>Not (yet) there: 404, or an answer without a usable cost. Retry this id later.</summary>
    NotYet,

    /// <summary>429, 5xx, a timeout or a network error: OpenRouter is busy or unreachable; back off the whole job.</summary>
    Unavailable,

    /// <summary>401 or 403: the key is wrong or not allowed; stop until the next interval.</summary>
    Unauthorized,
}

/// <summary>A lookup's outcome; <paramref name="RetryAfter"/> is the server's Retry-After, when it sent one.</summary>
internal readonly record struct LookupResult(LookupStatus Status, decimal Cost = 0m, int? StatusCode = null, TimeSpan? RetryAfter = null);

/// <summary>
/// <c>GET {OpenRouterBaseAddress}/generation?id=...</c> with the OpenRouter key as bearer, through a named
/// <see cref="HttpClient"/>. The key only ever goes into the request header, never into a log or an exception.
/// </summary>
internal sealed class GenerationClient
{
    public const string HttpClientName = "LlmMeter.Collector.Reconciliation";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<GenerationClient> _logger;
    private readonly string _generationUrl;
    private readonly string? _apiKey;

    public GenerationClient(IHttpClientFactory httpClientFactory, IOptions<CollectorOptions> options, TimeProvider time, ILogger<GenerationClient> logger)
    {
        _httpClientFactory = httpClientFactory;
        _time = time;
        _logger = logger;
        var reconciliation = options.Value.Reconciliation;
        _apiKey = string.IsNullOrWhiteSpace(reconciliation.OpenRouterApiKey) ? null : reconciliation.OpenRouterApiKey.Trim();
        // Appended by hand: Uri's relative resolution would drop the last segment of a base without a trailing slash.
        _generationUrl = reconciliation.OpenRouterBaseAddress.AbsoluteUri.TrimEnd('/') + "/generation?id=";
    }

    /// <summary>False without an OpenRouter key: reconciliation is off.</summary>
    public bool Enabled => _apiKey is not null;

    public async Task<LookupResult> LookupAsync(string id, CancellationToken cancellationToken)
    {
        if (_apiKey is null)
        {
            throw new InvalidOperationException("Reconciliation has no OpenRouter key.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, _generationUrl + Uri.EscapeDataString(id));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var client = _httpClientFactory.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            _logger.LogWarning("Cost reconciliation: OpenRouter is unreachable ({Error}).", ex.Message);
            return new LookupResult(LookupStatus.Unavailable);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Cost reconciliation: OpenRouter did not answer in time.");
            return new LookupResult(LookupStatus.Unavailable);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return await ReadCostAsync(id, response, cancellationToken).ConfigureAwait(false);
                case HttpStatusCode.NotFound:
                    return new LookupResult(LookupStatus.NotYet, StatusCode: status);
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    return new LookupResult(LookupStatus.Unauthorized, StatusCode: status);
                case HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout:
                    return new LookupResult(LookupStatus.Unavailable, StatusCode: status, RetryAfter: RetryAfter(response));
                default:
                    if (status >= 500)
                    {
                        return new LookupResult(LookupStatus.Unavailable, StatusCode: status, RetryAfter: RetryAfter(response));
                    }

                    // Another 4xx is about this id (e.g. a malformed one): retried with backoff, then given up.
                    _logger.LogWarning("Cost reconciliation: OpenRouter answered {Status} for generation {Id}.", status, id);
                    return new LookupResult(LookupStatus.NotYet, StatusCode: status);
            }
        }
    }

    private async Task<LookupResult> ReadCostAsync(string id, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (json.RootElement.ValueKind == JsonValueKind.Object
                    && json.RootElement.TryGetProperty("data", out var data)
                    && data.ValueKind == JsonValueKind.Object
                    && data.TryGetProperty("total_cost", out var totalCost)
                    && totalCost.ValueKind == JsonValueKind.Number
                    && totalCost.TryGetDecimal(out var cost)
                    && cost >= 0m)
                {
                    return new LookupResult(LookupStatus.Found, cost, StatusCode: 200);
                }
            }
        }
        catch (JsonException)
        {
            // Logged below like any other unusable answer.
        }

        _logger.LogWarning("Cost reconciliation: the generation {Id} came back without a usable data.total_cost; retrying later.", id);
        return new LookupResult(LookupStatus.NotYet, StatusCode: 200);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        // Some servers send fractional seconds, which the typed header refuses.
        if (response.Headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && seconds >= 0 && seconds < TimeSpan.MaxValue.TotalSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }
}
