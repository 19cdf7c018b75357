using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Perfolizer.Metrology;
using MeaiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using SdkChatMessage = OpenAI.Chat.ChatMessage;

namespace LlmMeter.Benchmarks;

/// <summary>
/// What the meter costs real callers (issue 11, "Speed"): the OpenAI .NET SDK and a Microsoft.Extensions.AI
/// <see cref="IChatClient"/> over the same in-memory transport, bare, with <see cref="LlmMeterHandler"/> in the
/// HttpClient, and with M.E.AI's <c>UseOpenTelemetry</c>, while listeners enable every instrument and activity
/// of both (as an app with OpenTelemetry does).
/// </summary>
/// <remarks>
/// <c>Sdk_Chat_2KB</c> also has the bare and <c>UseOpenTelemetry</c> IChatClient rows, so the OpenTelemetry cost
/// is read as their difference, not mixed with the AsIChatClient adapter's.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[Config(typeof(ExactBytesConfig))]
public class RealCallerBenchmarks
{
    private const string SdkChat = "Sdk_Chat_2KB";
    private const string SdkStream = "Sdk_Stream_200";
    private const string MeaiStream = "Meai_Stream_200";
    private const string Key = "sk-or-v1-0000000000000000000000000000000000000000000000000000000000000000";

    // The meter names an OpenTelemetry setup subscribes to for these two libraries.
    private static readonly string[] s_sources = ["LlmMeter", "Experimental.Microsoft.Extensions.AI", "Microsoft.Extensions.AI"];
    private static readonly SdkChatMessage[] s_sdkMessages = [SdkChatMessage.CreateUserMessage("Summarise the meeting notes in a paragraph.")];
    private static readonly MeaiChatMessage[] s_meaiMessages = [new(ChatRole.User, "Summarise the meeting notes in a paragraph.")];

    private readonly List<IDisposable> _owned = [];
    private MeterListener _meterListener = null!;
    private ActivityListener _activityListener = null!;
    private ChatClient _sdkChat = null!;
    private ChatClient _sdkChatMetered = null!;
    private IChatClient _meaiChat = null!;
    private IChatClient _meaiChatOtel = null!;
    private ChatClient _sdkStream = null!;
    private ChatClient _sdkStreamMetered = null!;
    private IChatClient _meaiStream = null!;
    private IChatClient _meaiStreamMetered = null!;
    private IChatClient _meaiStreamOtel = null!;

    [GlobalSetup]
    public void Setup()
    {
        StartListeners();
        var chat = new CannedOpenRouterHandler { Streaming = false };
        var stream = new CannedOpenRouterHandler { Streaming = true };
        _owned.AddRange([chat, stream]);
        _sdkChat = Sdk(chat, metered: null);
        _sdkChatMetered = Sdk(chat, new NoOpSink());
        _meaiChat = _sdkChat.AsIChatClient();
        _meaiChatOtel = _meaiChat.AsBuilder().UseOpenTelemetry().Build();
        _sdkStream = Sdk(stream, metered: null);
        _sdkStreamMetered = Sdk(stream, new NoOpSink());
        _meaiStream = _sdkStream.AsIChatClient();
        _meaiStreamMetered = _sdkStreamMetered.AsIChatClient();
        _meaiStreamOtel = _meaiStream.AsBuilder().UseOpenTelemetry().Build();
        Verify(chat, stream);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(SdkChat)]
    public Task<int> SdkChatBare() => Chat(_sdkChat);

    [Benchmark]
    [BenchmarkCategory(SdkChat)]
    public Task<int> SdkChatLlmMeter() => Chat(_sdkChatMetered);

    [Benchmark]
    [BenchmarkCategory(SdkChat)]
    public Task<int> MeaiChatBare() => Chat(_meaiChat);

    [Benchmark]
    [BenchmarkCategory(SdkChat)]
    public Task<int> MeaiChatUseOpenTelemetry() => Chat(_meaiChatOtel);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(SdkStream)]
    public Task<int> SdkStreamBare() => Stream(_sdkStream);

    [Benchmark]
    [BenchmarkCategory(SdkStream)]
    public Task<int> SdkStreamLlmMeter() => Stream(_sdkStreamMetered);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(MeaiStream)]
    public Task<int> MeaiStreamBare() => Stream(_meaiStream);

    [Benchmark]
    [BenchmarkCategory(MeaiStream)]
    public Task<int> MeaiStreamLlmMeter() => Stream(_meaiStreamMetered);

    [Benchmark]
    [BenchmarkCategory(MeaiStream)]
    public Task<int> MeaiStreamUseOpenTelemetry() => Stream(_meaiStreamOtel);

    private static async Task<int> Chat(ChatClient client)
    {
        ChatCompletion completion = await client.CompleteChatAsync(s_sdkMessages).ConfigureAwait(false);
        return completion.Content[0].Text.Length;
    }

    private static async Task<int> Chat(IChatClient client)
    {
        var response = await client.GetResponseAsync(s_meaiMessages).ConfigureAwait(false);
        return response.Text.Length;
    }

    // Consume every update, as a caller that shows the text does.
    private static async Task<int> Stream(ChatClient client)
    {
        var parts = 0;
        await foreach (var update in client.CompleteChatStreamingAsync(s_sdkMessages).ConfigureAwait(false))
        {
            parts += update.ContentUpdate.Count;
        }

        return parts;
    }

    private static async Task<int> Stream(IChatClient client)
    {
        var parts = 0;
        await foreach (var update in client.GetStreamingResponseAsync(s_meaiMessages).ConfigureAwait(false))
        {
            parts += update.Contents.Count;
        }

        return parts;
    }

    private ChatClient Sdk(CannedOpenRouterHandler transport, ILlmCallSink? metered)
    {
        HttpMessageHandler handler = transport;
        if (metered is not null)
        {
            var options = new LlmMeterOptions { App = "bench", BaseAddress = new Uri("https://openrouter.ai/api/v1"), RefreshPriceCatalog = false };
            handler = new LlmMeterHandler(options, metered) { InnerHandler = transport };
        }

        var http = new HttpClient(handler, disposeHandler: false);
        _owned.Add(http);
        var sdkOptions = new OpenAIClientOptions { Endpoint = new Uri("https://openrouter.ai/api/v1"), Transport = new HttpClientPipelineTransport(http) };
        return new ChatClient(Payloads.Model, new ApiKeyCredential(Key), sdkOptions);
    }

    private void StartListeners()
    {
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (Array.Exists(s_sources, s => instrument.Meter.Name.StartsWith(s, StringComparison.Ordinal)))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        _meterListener.SetMeasurementEventCallback<int>(static (_, _, _, _) => { });
        _meterListener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        _meterListener.Start();
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => Array.Exists(s_sources, s => source.Name.StartsWith(s, StringComparison.Ordinal)),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_activityListener);
    }

    // A benchmark of a path that silently stopped metering, or of an empty answer, would be meaningless: check once.
    private void Verify(CannedOpenRouterHandler chat, CannedOpenRouterHandler stream)
    {
        var sink = new LastRecordSink();
        var chatLength = Chat(Sdk(chat, sink)).GetAwaiter().GetResult();
        Check(chatLength > 1000 && sink.Last is { Outcome: LlmCallOutcome.Success, Stream: false, OutputTokens: 281 }, "SDK chat", sink.Last);
        sink.Last = null;
        var parts = Stream(Sdk(stream, sink)).GetAwaiter().GetResult();
        Check(parts >= 200 && sink.Last is { Outcome: LlmCallOutcome.Success, Stream: true, OutputTokens: 200 }, "SDK stream", sink.Last);
        sink.Last = null;
        parts = Stream(Sdk(stream, sink).AsIChatClient()).GetAwaiter().GetResult();
        Check(parts >= 200 && sink.Last is { Outcome: LlmCallOutcome.Success, Stream: true, OutputTokens: 200 }, "IChatClient stream", sink.Last);
        Check(Chat(_meaiChatOtel).GetAwaiter().GetResult() > 1000 && Stream(_meaiStreamOtel).GetAwaiter().GetResult() >= 200, "UseOpenTelemetry", null);
    }

    private static void Check(bool ok, string what, LlmCallRecord? record)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"The {what} call did not give the expected answer and record: {record}");
        }
    }

    /// <summary>Allocations in bytes: the goal is that they do not grow.</summary>
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
