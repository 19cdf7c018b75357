using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Benchmarks;

/// <summary>
/// One 16 MB JSON token (a base64 image in the answer) read through a bare and a metered <see cref="HttpClient"/>
/// from Kestrel on 127.0.0.1, in reads of 7 bytes, 1 KB and 64 KB: the meter's cost must not grow with the token
/// or shrink the read size it tolerates (goal: at most x1.5 a bare read).
/// </summary>
[MemoryDiagnoser]
public class LargeTokenBenchmarks
{
    private WebApplication _server = null!;
    private HttpClient _bare = null!;
    private HttpClient _metered = null!;
    private byte[] _buffer = [];

    [Params(7, 1024, 65536)]
    public int ReadSize { get; set; }

    [Params(false, true)]
    public bool Stream { get; set; }

    public static int TokenBytes { get; set; } = 16 << 20;

    [GlobalSetup]
    public void Setup()
    {
        var json = Encoding.UTF8.GetBytes(Chat(new string('Q', TokenBytes)));
        var sse = Encoding.UTF8.GetBytes(Events(new string('Q', TokenBytes)));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapPost("/api/v1/chat/completions", async (HttpContext ctx) =>
        {
            var stream = ctx.Request.Query.ContainsKey("stream");
            ctx.Response.ContentType = stream ? "text/event-stream" : "application/json";
            var body = stream ? sse : json;
            ctx.Response.ContentLength = stream ? null : body.Length;
            await ctx.Response.Body.WriteAsync(body).ConfigureAwait(false);
        });
        _server.StartAsync().GetAwaiter().GetResult();
        var root = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/api/v1/");
        var options = new LlmMeterOptions { App = "bench", BaseAddress = root, RefreshPriceCatalog = false };
        var sink = new LastRecordSink();
        _bare = new HttpClient(new SocketsHttpHandler()) { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };
        _metered = new HttpClient(new LlmMeterHandler(options, sink) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };
        _buffer = new byte[ReadSize];

        // A benchmark of a path that silently stopped metering would be meaningless: check it once.
        var read = Metered().GetAwaiter().GetResult();
        if (read != (Stream ? sse : json).Length || sink.Last is not { Outcome: LlmCallOutcome.Success, OutputTokens: 34, CostUsd: not null, Warnings: null })
        {
            throw new InvalidOperationException($"The metered read did not produce the expected record: {sink.Last}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bare.Dispose();
        _metered.Dispose();
        _server.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_server).Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<long> Bare() => ReadAll(_bare);

    [Benchmark]
    public Task<long> Metered() => ReadAll(_metered);

    /// <summary>A short A/B run for a shared machine (<c>-- large-token [MB]</c>): best of three rounds each.</summary>
    public static void Quick(int tokenMegabytes)
    {
        TokenBytes = tokenMegabytes << 20;
        foreach (var stream in new[] { false, true })
        {
            foreach (var size in new[] { 7, 1024, 65536 })
            {
                var bench = new LargeTokenBenchmarks { ReadSize = size, Stream = stream };
                bench.Setup();
                double bare = double.MaxValue, metered = double.MaxValue;
                for (var round = 0; round < 3; round++)
                {
                    bare = Math.Min(bare, Time(bench.Bare));
                    metered = Math.Min(metered, Time(bench.Metered));
                }

                bench.Cleanup();
                Console.WriteLine($"{tokenMegabytes} MB {(stream ? "sse " : "json")} read {size,5} B  bare {bare,8:F1} ms  metered {metered,8:F1} ms  ratio {metered / bare:F2}");
            }
        }
    }

    private static double Time(Func<Task<long>> read)
    {
        var watch = Stopwatch.StartNew();
        read().GetAwaiter().GetResult();
        return watch.Elapsed.TotalMilliseconds;
    }

    private async Task<long> ReadAll(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Stream ? "chat/completions?stream" : "chat/completions")
        {
            Content = new StringContent(Stream ? Payloads.StreamRequest : Payloads.ChatRequest, Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        long total = 0;
        while (await body.ReadAsync(_buffer).ConfigureAwait(false) is var n and > 0)
        {
            total += n;
        }

        return total;
    }

    private const string Head = "\"id\":\"gen-big\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\"";

    private const string Usage = "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"cost\":0.0042}";

    private static string Chat(string token) =>
        $"{{{Head.Replace(".chunk", "", StringComparison.Ordinal)},\"choices\":[{{\"index\":0,\"finish_reason\":\"stop\",\"message\":{{\"role\":\"assistant\",\"content\":\"{token}\"}}}}],{Usage}}}";

    private static string Events(string token) =>
        $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"Hi\"}},\"finish_reason\":null}}]}}\n\n" +
        $"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{token}\"}},\"finish_reason\":\"stop\"}}]}}\n\n" +
        $"data: {{{Head},\"choices\":[],{Usage}}}\n\ndata: [DONE]\n\n";

    private sealed class LastRecordSink : ILlmCallSink
    {
        public LlmCallRecord? Last { get; set; }

        public void Record(LlmCallRecord call) => Last = call;
    }
}
