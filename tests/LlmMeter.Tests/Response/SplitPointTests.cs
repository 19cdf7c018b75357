using System.Text;
using LlmMeter.Response;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Response;

/// <summary>The meter sees exactly the bytes the caller reads: where the reads split the body must not matter.</summary>
public sealed class SplitPointTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();

    public void Dispose() => _openRouter.Dispose();

    public static TheoryData<string, string> Bodies() => new()
    {
        { "sse-lf", OpenRouterSamples.StreamUsageOnEmptyChoices() },
        { "sse-crlf", OpenRouterSamples.StreamUsageOnOneChoice(newline: "\r\n") },
        { "sse-mid-error", OpenRouterSamples.StreamMidError("\"server_error\"") },
        { "json", OpenRouterSamples.ChatResponse },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Read_SplitAtEveryBytePosition_YieldsTheSameRecord(string name, string body)
    {
        Assert.NotNull(name);
        var sse = name.StartsWith("sse", StringComparison.Ordinal);
        if (sse)
        {
            _openRouter.Sse("chat/completions", body);
        }
        else
        {
            _openRouter.Json("chat/completions", body);
        }

        var sink = new CollectingSink();
        using var http = Metered.Client(_openRouter.ApiRoot, sink);
        var bytes = Encoding.UTF8.GetBytes(body);

        var reference = Normalize(await ReadWithSplitsAsync(http, sink, bytes, [bytes.Length]));
        Assert.Contains("\"outcome\"", reference);
        Assert.Contains("\"served_model\"", reference);

        for (var split = 1; split < bytes.Length; split++)
        {
            var record = Normalize(await ReadWithSplitsAsync(http, sink, bytes, [split, bytes.Length - split]));
            Assert.True(reference == record, $"split at byte {split} gave {record}, whole gave {reference}");
        }

        var byteByByte = Normalize(await ReadWithSplitsAsync(http, sink, bytes, [.. Enumerable.Repeat(1, bytes.Length)]));
        Assert.Equal(reference, byteByByte);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Read_TokenLongerThanTheKeptLimitAtRandomSplits_YieldsTheSameRecord(bool sse)
    {
        var token = new GeneratedBody().Run("QUJD", ScanLimits.MaxKeptBytes + 20_000);
        var bytes = (sse ? SseParserTests.Stream(token, "\r\n") : IncrementalJsonScannerTests.Chat(token)).ToArray();
        var body = Encoding.UTF8.GetString(bytes);
        if (sse)
        {
            _openRouter.Sse("chat/completions", body);
        }
        else
        {
            _openRouter.Json("chat/completions", body);
        }

        var sink = new CollectingSink();
        using var http = Metered.Client(_openRouter.ApiRoot, sink);
        var reference = await ReadWithSplitsAsync(http, sink, bytes, [bytes.Length]);
        Assert.Null(reference.Warnings);
        Assert.Equal(34, reference.OutputTokens);

        var random = new Random(sse ? 11 : 7);
        for (var run = 0; run < 12; run++)
        {
            var sizes = new List<int>();
            for (var left = bytes.Length; left > 0; left -= sizes[^1])
            {
                sizes.Add(Math.Min(left, run % 2 == 0 ? random.Next(1, 64) : random.Next(1, 9000)));
            }

            var record = Normalize(await ReadWithSplitsAsync(http, sink, bytes, [.. sizes]));
            Assert.Equal(Normalize(reference), record);
        }
    }

    // Reads exactly the given sizes, so the meter is shown the body cut at those points.
    private static async Task<LlmCallRecord> ReadWithSplitsAsync(HttpClient http, CollectingSink sink, byte[] expected, int[] sizes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
        };
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

    private static string Normalize(LlmCallRecord record) =>
        LlmMeterJson.Serialize(record with { StartedAt = default, LatencyMs = 0, HeadersMs = null, TtftMs = record.TtftMs is null ? null : 1 });
}
