using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>
/// Turns the JSON tokens of one response body or stream event into <see cref="ResponseFacts"/>, keeping its place
/// between calls so that a body can be scanned across reads. One implementation per API dialect.
/// </summary>
internal interface IResponseScanner
{
    /// <summary>Prepares for a new top-level value (each SSE event is one).</summary>
    void Reset();

    /// <summary>Consumes every complete token the reader has.</summary>
    void Scan(ref Utf8JsonReader reader);

    /// <summary>A string the meter needs whole was too long to keep (see <see cref="SkipNextString"/>).</summary>
    bool LostValue { get; }

    /// <summary>True when a long string token coming next must be kept whole rather than only measured.</summary>
    bool NeedsNextString { get; }

    /// <summary>The next string token stands for <paramref name="rawLength"/> bytes (as written) measured but not kept.</summary>
    void SkipNextString(long rawLength);
}
