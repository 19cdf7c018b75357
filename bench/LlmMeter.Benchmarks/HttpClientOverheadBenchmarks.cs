using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using Perfolizer.Metrology;

namespace LlmMeter.Benchmarks;

/// <summary>
/// What the meter costs a caller: the same in-memory transport behind a bare <see cref="HttpClient"/> and
/// behind one with <see cref="LlmMeterHandler"/>. Each category has its own baseline (bare).
/// </summary>
/// <remarks>
/// The goals are judged on <c>Chat_2KB</c> and <c>Sse_200</c>. <c>Chat_2KB_ByteArrayContent</c> shows how a
/// ByteArrayContent body flatters the bare baseline; <c>Sse_200_CallerParsesJson</c> adds the per-chunk JSON
/// parse an SDK does, to put the streaming overhead next to a caller that uses the chunks.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[Config(typeof(ExactBytesConfig))]
public class HttpClientOverheadBenchmarks
{
    private const string Chat2KB = "Chat_2KB";
    private const string Chat2KBByteArray = "Chat_2KB_ByteArrayContent";
    private const string Sse200 = "Sse_200";
    private const string Sse200Parsed = "Sse_200_CallerParsesJson";

    // Every OpenRouter call carries a key; an SDK sets it on each request.
    private static readonly AuthenticationHeaderValue s_auth = new("Bearer", "sk-or-v1-0000000000000000000000000000000000000000000000000000000000000000");

    private readonly List<IDisposable> _owned = [];
    private HttpClient _bare = null!;
    private HttpClient _metered = null!;
    private HttpClient _bareByteArray = null!;
    private HttpClient _meteredByteArray = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new LlmMeterOptions { App = "bench", BaseAddress = new Uri("https://openrouter.ai/api/v1"), RefreshPriceCatalog = false };
        (_bare, _metered) = Clients(new CannedOpenRouterHandler(), options);
        (_bareByteArray, _meteredByteArray) = Clients(new CannedOpenRouterHandler { ByteArrayBodies = true }, options);
        Verify(options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Chat2KB)]
    public Task<int> BareChat() => Chat(_bare);

    [Benchmark]
    [BenchmarkCategory(Chat2KB)]
    public Task<int> MeteredChat() => Chat(_metered);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Chat2KBByteArray)]
    public Task<int> BareChatByteArray() => Chat(_bareByteArray);

    [Benchmark]
    [BenchmarkCategory(Chat2KBByteArray)]
    public Task<int> MeteredChatByteArray() => Chat(_meteredByteArray);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Sse200)]
    public Task<int> BareStream() => Stream(_bare, parse: false);

    [Benchmark]
    [BenchmarkCategory(Sse200)]
    public Task<int> MeteredStream() => Stream(_metered, parse: false);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Sse200Parsed)]
    public Task<int> BareStreamParsed() => Stream(_bare, parse: true);

    [Benchmark]
    [BenchmarkCategory(Sse200Parsed)]
    public Task<int> MeteredStreamParsed() => Stream(_metered, parse: true);

    // As an SDK does it: post, let HttpClient buffer the answer, read it as a string.
    private static async Task<int> Chat(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Payloads.ChatUri)
        {
            Content = new StringContent(Payloads.ChatRequest, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = s_auth;
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return body.Length;
    }

    // As an SDK does it: headers first, then the event stream line by line to the end.
    private static async Task<int> Stream(HttpClient client, bool parse)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Payloads.ChatUri)
        {
            Content = new StringContent(Payloads.StreamRequest, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = s_auth;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lines = 0;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lines++;
            if (parse && line.StartsWith("data: {", StringComparison.Ordinal))
            {
                using var chunk = JsonDocument.Parse(line.AsMemory(6));
                lines += chunk.RootElement.GetProperty("choices").GetArrayLength();
            }
        }

        return lines;
    }

    private (HttpClient Bare, HttpClient Metered) Clients(CannedOpenRouterHandler transport, LlmMeterOptions options)
    {
        var bare = new HttpClient(transport, disposeHandler: false);
        var metered = new HttpClient(new LlmMeterHandler(options, new NoOpSink()) { InnerHandler = transport }, disposeHandler: false);
        _owned.AddRange([bare, metered, transport]);
        return (bare, metered);
    }

    // A benchmark of a path that silently stopped metering would be meaningless: check each shape once.
    private void Verify(LlmMeterOptions options)
    {
        foreach (var transport in new[] { new CannedOpenRouterHandler(), new CannedOpenRouterHandler { ByteArrayBodies = true } })
        {
            var sink = new LastRecordSink();
            using var client = new HttpClient(new LlmMeterHandler(options, sink) { InnerHandler = transport });
            var length = Chat(client).GetAwaiter().GetResult();
            Check(length == Payloads.ChatResponse.Length && sink.Last is { Outcome: LlmCallOutcome.Success, Stream: false, OutputTokens: 281, CostUsd: not null }, "chat", sink.Last);
            sink.Last = null;
            var lines = Stream(client, parse: false).GetAwaiter().GetResult();
            Check(lines == 2 * Payloads.StreamEvents.Length && sink.Last is { Outcome: LlmCallOutcome.Success, Stream: true, OutputTokens: 200, TtftMs: not null }, "stream", sink.Last);
        }
    }

    private static void Check(bool ok, string what, LlmCallRecord? record)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"The metered {what} call did not produce the expected record: {record}");
        }
    }

    /// <summary>Allocations in bytes, not KB with two decimals: the goal is a byte budget.</summary>
    private sealed class ExactBytesConfig : ManualConfig
    {
        public ExactBytesConfig() => SummaryStyle = SummaryStyle.Default.WithSizeUnit(SizeUnit.B);
    }

    private sealed class LastRecordSink : ILlmCallSink
    {
        public LlmCallRecord? Last { get; set; }

        public void Record(LlmCallRecord call) => Last = call;
    }

    private sealed class NoOpSink : ILlmCallSink
    {
        public void Record(LlmCallRecord call)
        {
        }
    }
}
