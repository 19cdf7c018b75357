using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmMeter.Collector.Tests.Api;

/// <summary>Helpers to talk to the collector's API in its wire format.</summary>
internal static class Api
{
    public static string ArrayJson(IEnumerable<LlmCallRecord> records) =>
        JsonSerializer.Serialize(records.ToList(), LlmMeterJsonContext.Default.ListLlmCallRecord);

    public static string Ndjson(IEnumerable<LlmCallRecord> records) =>
        string.Join('\n', records.Select(LlmMeterJson.Serialize)) + "\n";

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, IEnumerable<LlmCallRecord> records) =>
        client.PostAsync("v1/calls", Json(ArrayJson(records)));

    public static async Task<(int Accepted, int Duplicates)> IngestAsync(HttpClient client, IEnumerable<LlmCallRecord> records)
    {
        using var response = await PostAsync(client, records);
        var body = await ReadJsonAsync(response, HttpStatusCode.OK);
        return (body.GetProperty("accepted").GetInt32(), body.GetProperty("duplicates").GetInt32());
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/> and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var problem = await ReadJsonAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>All the calls in [from, to), following the cursor.</summary>
    public static async Task<List<JsonElement>> AllCallsAsync(HttpClient client, string filters = "from=2026-01-01&to=2027-01-01")
    {
        var calls = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await GetJsonAsync(client, $"v1/calls?{filters}&limit=1000" + (cursor is null ? string.Empty : $"&cursor={cursor}"));
            calls.AddRange(page.GetProperty("calls").EnumerateArray());
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        return calls;
    }

    public static StreamContent Chunked(string body, string mediaType)
    {
        // A non-seekable stream without a length: HttpClient sends it chunked, with no Content-Length.
        var content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
