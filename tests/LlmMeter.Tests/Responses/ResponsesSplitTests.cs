using System.Text;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Responses;

/// <summary>The meter sees exactly the bytes the caller reads: random read sizes must give the record of one whole read.</summary>
public sealed class ResponsesSplitTests : IDisposable
{
    private const int RandomSplits = 40;

    private readonly FakeOpenRouter _openRouter = new();

    public void Dispose() => _openRouter.Dispose();

    public static TheoryData<string, int, bool, string> Fixtures() => ResponsesSamples.All();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Read_RandomSplitsOfEveryFixture_YieldTheSameRecord(string name, int status, bool sse, string body)
    {
        _openRouter.Raw("responses", status, sse ? "text/event-stream" : "application/json", body);
        var sink = new CollectingSink();
        using var http = Metered.Client(_openRouter.ApiRoot, sink, o => o.PriceCatalog = ResponsesScannerTests.Prices);
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = sse ? ResponsesSamples.StreamRequest : ResponsesSamples.Request;

        var whole = await ReadWithSplitsAsync(http, sink, request, bytes, [bytes.Length]);
        Assert.Equal(LlmEndpoints.Responses, whole.Endpoint);
        Assert.NotNull(whole.FinishReason ?? whole.ErrorType?.ToString());
        var reference = Normalize(whole);

        var random = new Random(name.Length * 7919); // Fixed per fixture: a failure replays.
        for (var run = 0; run < RandomSplits; run++)
        {
            var sizes = RandomSizes(random, bytes.Length, maxSize: run % 2 == 0 ? 8 : 200);
            var record = Normalize(await ReadWithSplitsAsync(http, sink, request, bytes, sizes));
            Assert.True(reference == record, $"{name}, reads of [{string.Join(',', sizes)}] gave {record}, one read gave {reference}");
        }

        var byteByByte = Normalize(await ReadWithSplitsAsync(http, sink, request, bytes, [.. Enumerable.Repeat(1, bytes.Length)]));
        Assert.Equal(reference, byteByByte);
    }

    private static int[] RandomSizes(Random random, int length, int maxSize)
    {
        var sizes = new List<int>();
        for (var left = length; left > 0;)
        {
            var size = Math.Min(left, random.Next(1, maxSize + 1));
            sizes.Add(size);
            left -= size;
        }

        return [.. sizes];
    }

    // Reads exactly the given sizes, so the meter is shown the body cut at those points.
    private static async Task<LlmCallRecord> ReadWithSplitsAsync(HttpClient http, CollectingSink sink, string requestJson, byte[] expected, int[] sizes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "responses") { Content = LlmMeterHandlerTests.Json(requestJson) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        foreach (var size in sizes)
        {
            var buffer = new byte[size];
            await stream.ReadExactlyAsync(buffer);
            received.Write(buffer);
        }

        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
        Assert.Equal(expected, received.ToArray());
        return await sink.NextAsync();
    }

    // Timings differ from run to run, and so does a local id (an error body has no generation id).
    private static string Normalize(LlmCallRecord record) =>
        LlmMeterJson.Serialize(record with
        {
            Id = record.Id.StartsWith("llmm-", StringComparison.Ordinal) ? "local" : record.Id,
            StartedAt = default,
            LatencyMs = 0,
            HeadersMs = null,
            TtftMs = record.TtftMs is null ? null : 1,
        });
}
