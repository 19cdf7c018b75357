using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LlmMeter.Collector.Demo;

/// <summary>An alert the demo's webhook receiver got from the collector (its signature checked).</summary>
internal sealed record DemoAlert(DateTimeOffset ReceivedAt, string Type, string Budget, double? ThresholdPercent, decimal SpentUsd, decimal LimitUsd, string RoutingAction);

/// <summary>
/// The demo's alert webhook, standing in for a team's receiver (Slack, a pager): it checks
/// <c>X-LlmMeter-Signature</c> (<c>t=..,v1=hex HMAC-SHA256(secret, t + "." + body)</c>) as a real receiver should, and
/// keeps the last alerts for the status page.
/// </summary>
internal sealed class DemoAlertReceiver(string secret, TimeProvider time)
{
    private const int Kept = 50;
    private const int MaxBody = 64 * 1024;
    private readonly ConcurrentQueue<DemoAlert> _alerts = new();

    /// <summary>Raised for every alert received (the demo logs it).</summary>
    public event Action<DemoAlert>? Received;

    /// <summary>Newest first.</summary>
    public IReadOnlyList<DemoAlert> Recent => [.. _alerts.Reverse()];

    public async Task ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length > MaxBody)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var body = buffer.ToArray();
        if (!Verify(context.Request.Headers["X-LlmMeter-Signature"].ToString(), body))
        {
            // A receiver must refuse unsigned or forged alerts; the collector logs the 401 and does not retry it.
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        DemoAlert alert;
        try
        {
            alert = Parse(body);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        _alerts.Enqueue(alert);
        while (_alerts.Count > Kept && _alerts.TryDequeue(out _))
        {
        }

        Received?.Invoke(alert);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private bool Verify(string header, byte[] body)
    {
        string? t = null, v1 = null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                t = part[2..];
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                v1 = part[3..];
            }
        }

        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) > 300)
        {
            return false; // Missing, or older than five minutes: a replay.
        }

        var message = Encoding.UTF8.GetBytes(t + ".").Concat(body).ToArray();
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message)));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(v1));
    }

    private DemoAlert Parse(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var threshold = root.GetProperty("threshold_percent");
        return new DemoAlert(
            time.GetUtcNow(),
            root.GetProperty("type").GetString() ?? "?",
            root.GetProperty("budget").GetProperty("name").GetString() ?? "?",
            threshold.ValueKind == JsonValueKind.Number ? threshold.GetDouble() : null,
            root.GetProperty("spent_usd").GetDecimal(),
            root.GetProperty("limit_usd").GetDecimal(),
            root.GetProperty("routing_action").GetString() ?? "?");
    }
}
