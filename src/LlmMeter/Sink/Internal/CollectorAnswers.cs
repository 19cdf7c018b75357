using System.Text.Json;

namespace LlmMeter.Sink.Internal;

/// <summary>Reads the collector's answers: the <c>rejected</c> list of a 2xx and the ProblemDetails of a refusal.</summary>
internal static class CollectorAnswers
{
    private const int MaxProblemTextLength = 300;

    /// <summary>
    /// The records a 2xx answer lists in <c>rejected</c>, distinct and within the <paramref name="count"/> sent. An
    /// answer without the list (an older collector) or not JSON at all rejected nothing: the request was stored.
    /// </summary>
    public static IReadOnlyList<RejectedRecord> Rejected(ReadOnlySpan<byte> body, int count)
    {
        if (body.IsEmpty)
        {
            return [];
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("rejected", out var list)
                || list.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            List<RejectedRecord>? rejected = null;
            HashSet<int>? seen = null;
            foreach (var entry in list.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object
                    && Index(entry) is { } index && index < count
                    && (seen ??= []).Add(index))
                {
                    (rejected ??= []).Add(new RejectedRecord(index, Text(entry, "field")));
                }
            }

            return rejected ?? (IReadOnlyList<RejectedRecord>)[];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The ProblemDetails of a refusal, or null when the body is not one.</summary>
    public static CollectorProblem? Problem(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var problem = document.RootElement;
            return problem.ValueKind == JsonValueKind.Object
                ? new CollectorProblem(Shortened(Text(problem, "title")), Shortened(Text(problem, "detail")), Index(problem), Text(problem, "field"))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? Index(JsonElement element) =>
        element.TryGetProperty("index", out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var index) && index >= 0
            ? index
            : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Shortened(string? text) =>
        text is { Length: > MaxProblemTextLength } ? text[..MaxProblemTextLength] + "..." : text;
}
