using System.Text;
using LlmMeter.Pricing;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Record;

/// <summary>Replays a <see cref="Transcript"/> through the metered client against WireMock, reading the body in given sizes.</summary>
public sealed class TranscriptReplay : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();
    private readonly HttpClient _http;

    public TranscriptReplay(Transcript transcript, ModelPriceCatalog? catalog)
    {
        Transcript = transcript;
        if (transcript.Sse)
        {
            _openRouter.Sse("chat/completions", transcript.Body);
        }
        else
        {
            _openRouter.Json("chat/completions", transcript.Body, transcript.Status);
        }

        _http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.PriceCatalog = catalog ?? ModelPriceCatalog.Empty);
    }

    public Transcript Transcript { get; }

    public byte[] BodyBytes => Encoding.UTF8.GetBytes(Transcript.Body);

    /// <summary>Reads the whole body at once.</summary>
    public Task<LlmCallRecord> ReadAsync() => ReadAsync([BodyBytes.Length]);

    /// <summary>Reads exactly the given sizes, so the meter is shown the body cut at those points.</summary>
    public async Task<LlmCallRecord> ReadAsync(int[] sizes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json(Transcript.Request) };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        foreach (var size in sizes)
        {
            var buffer = new byte[size];
            await stream.ReadExactlyAsync(buffer);
            received.Write(buffer);
        }

        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
        Assert.Equal(BodyBytes, received.ToArray());
        return await _sink.NextAsync();
    }

    /// <summary>The record without what varies from run to run (times).</summary>
    public static string Normalize(LlmCallRecord record) =>
        LlmMeterJson.Serialize(record with
        {
            Id = record.Id.StartsWith("llmm-", StringComparison.Ordinal) ? "llmm-local" : record.Id,
            StartedAt = default, LatencyMs = 0, HeadersMs = null, TtftMs = record.TtftMs is null ? null : 1,
        });

    public void Dispose()
    {
        _http.Dispose();
        _openRouter.Dispose();
    }
}
