using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Hosting;

namespace LlmMeter.Collector.Policy;

/// <summary>One alert of a webhook notification, as far as overrides need it.</summary>
internal sealed record IncomingAlert(bool Firing, string Fingerprint, IReadOnlyDictionary<string, string> Labels);

/// <summary>Why a body was refused: <see cref="Field"/> is a JSON path such as <c>alerts[2].labels</c>.</summary>
internal sealed record PayloadError(string Message, string? Field);

/// <summary>
/// Reads an Alertmanager (0.25, <c>"version":"4"</c>) or Grafana unified-alerting (<c>"version":"1"</c>) webhook
/// body: both carry <c>alerts[]</c> with <c>status</c>, <c>labels</c> and <c>fingerprint</c>. Only those are read;
/// every other field, known or not, is ignored, so newer senders keep working.
/// </summary>
internal static class AlertPayload
{
    private const int MaxFingerprintLength = 128;

    public static bool TryParse(ReadOnlySpan<byte> body, out List<IncomingAlert> alerts, out PayloadError? error)
    {
        alerts = [];
        JsonDocument document;
        try
        {
            // Parse refuses trailing content; the copy is at most Receivers:MaxRequestBytes.
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            error = new PayloadError($"The body is not valid JSON: {ex.Message}", null);
            return false;
        }

        using (document)
        {
            if (JsonText.FindUndecodable(document.RootElement) is { } bad)
            {
                error = new PayloadError($"'{(bad.Path.Length == 0 ? "body" : bad.Path)}' {bad.Message}", bad.Path.Length == 0 ? null : bad.Path);
                return false;
            }

            return TryRead(document.RootElement, alerts, out error);
        }
    }

    private static bool TryRead(JsonElement root, List<IncomingAlert> alerts, out PayloadError? error)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = new PayloadError("The body must be a JSON object with an 'alerts' array (an Alertmanager or Grafana webhook notification).", null);
            return false;
        }

        if (!root.TryGetProperty("alerts", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            error = new PayloadError("'alerts' must be an array.", "alerts");
            return false;
        }

        string? groupStatus = null;
        if (root.TryGetProperty("status", out var rootStatus) && rootStatus.ValueKind == JsonValueKind.String)
        {
            groupStatus = rootStatus.GetString();
        }

        var index = 0;
        foreach (var alert in list.EnumerateArray())
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"alerts[{index++}]");
            if (alert.ValueKind != JsonValueKind.Object)
            {
                error = new PayloadError("Each alert must be a JSON object.", path);
                return false;
            }

            if (!TryLabels(alert, path, out var labels, out error))
            {
                return false;
            }

            var status = alert.TryGetProperty("status", out var statusElement) ? statusElement : default;
            var statusText = status.ValueKind == JsonValueKind.String ? status.GetString() : status.ValueKind == JsonValueKind.Undefined ? groupStatus : null;
            bool firing;
            if (string.Equals(statusText, "firing", StringComparison.OrdinalIgnoreCase))
            {
                firing = true;
            }
            else if (string.Equals(statusText, "resolved", StringComparison.OrdinalIgnoreCase))
            {
                firing = false;
            }
            else
            {
                error = new PayloadError($"'status' must be \"firing\" or \"resolved\" (got {Describe(status)}).", path + ".status");
                return false;
            }

            var fingerprint = alert.TryGetProperty("fingerprint", out var fp) && fp.ValueKind == JsonValueKind.String
                && fp.GetString() is { Length: > 0 and <= MaxFingerprintLength } given && given.All(IsFingerprintChar)
                ? given
                : Fingerprint(labels);
            alerts.Add(new IncomingAlert(firing, fingerprint, labels));
        }

        error = null;
        return true;
    }

    private static bool TryLabels(JsonElement alert, string path, out Dictionary<string, string> labels, out PayloadError? error)
    {
        labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!alert.TryGetProperty("labels", out var element) || element.ValueKind != JsonValueKind.Object)
        {
            error = new PayloadError("'labels' must be an object of label names to string values.", path + ".labels");
            return false;
        }

        foreach (var label in element.EnumerateObject())
        {
            if (label.Value.ValueKind != JsonValueKind.String)
            {
                error = new PayloadError($"Label values must be strings (got {Describe(label.Value)}).", $"{path}.labels.{label.Name}");
                return false;
            }

            labels[label.Name] = label.Value.GetString()!;
        }

        error = null;
        return true;
    }

    // As Alertmanager would: stable for the same label set, so a resolved alert finds its firing one.
    private static string Fingerprint(Dictionary<string, string> labels)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('\u00ff').Append(value).Append('\u00ff');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));
    }

    private static bool IsFingerprintChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.String => "\"" + value.GetString() + "\"",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };
}
