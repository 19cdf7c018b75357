using System.Collections.Concurrent;
using System.Net;
using System.Text;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using WireMock.Server;
using WireMock.Settings;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>The library never builds a record the collector refuses, whatever OpenRouter answers.</summary>
public sealed class LibraryRecordsTests : IDisposable
{
    private static readonly string s_megabyte = new('m', 1024 * 1024);

    private readonly WireMockServer _openRouter = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });

    public static TheoryData<string, string> HostileAnswers => new()
    {
        { "megabyte model, provider and finish reason", Answer(model: s_megabyte, provider: s_megabyte, finish: s_megabyte) },
        { "usage beyond every limit", Answer(prompt: "9223372036854775807", completion: "-5", cost: "1e12", cached: "1000000001") },
        { "control characters and a long id", Answer(id: "gen-" + new string('i', 300), model: "openai/gpt\\u0007-4o", provider: "Open\\u0085AI") },
    };

    public void Dispose() => _openRouter.Stop();

    [Theory]
    [MemberData(nameof(HostileAnswers))]
    public async Task Handler_HostileAnswer_BuildsARecordTheCollectorAccepts(string what, string answer)
    {
        _openRouter.Given(WireMock.RequestBuilders.Request.Create().WithPath("/api/v1/chat/completions").UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(answer));
        var sink = new Sink();
        var apiRoot = new Uri(_openRouter.Url!.TrimEnd('/') + "/api/v1/");
        var options = new LlmMeterOptions { App = "search-api", BaseAddress = apiRoot, RefreshPriceCatalog = false };
        using var http = new HttpClient(new LlmMeterHandler(options, sink) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = apiRoot };
        var models = string.Join(',', Enumerable.Range(0, 100).Select(i => $"\"vendor/m{i}{new string('x', 300)}\""));
        using (var response = await http.PostAsync("chat/completions", new StringContent($$"""{"model":"{{s_megabyte}}","models":[{{models}}],"messages":[]}""", Encoding.UTF8, "application/json")))
        {
            await response.Content.ReadAsStringAsync();
        }

        await WaitFor.ConditionAsync(() => !sink.Records.IsEmpty, "the record");
        var record = Assert.Single(sink.Records);

        Assert.Null(RecordValidator.Validate(record, DateTimeOffset.UtcNow));
        Assert.NotNull(record.Warnings);
        await using var collector = await CollectorHost.StartAsync();
        using var client = collector.Client(CollectorHost.IngestKey);
        using var posted = await Api.Api.PostAsync(client, [record]);
        var result = await Api.Api.ReadJsonAsync(posted, HttpStatusCode.OK);
        Assert.True(result.GetProperty("accepted").GetInt32() == 1, $"{what}: {result}");
    }

    private static string Answer(
        string id = "gen-lib-1",
        string model = "openai/gpt-4o",
        string provider = "OpenAI",
        string finish = "stop",
        string prompt = "10",
        string completion = "5",
        string cached = "0",
        string cost = "0.001") =>
        "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"model\":\"" + model + "\",\"provider\":\"" + provider + "\","
        + "\"choices\":[{\"index\":0,\"finish_reason\":\"" + finish + "\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi.\"}}],"
        + "\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion + ",\"cost\":" + cost
        + ",\"prompt_tokens_details\":{\"cached_tokens\":" + cached + "}}}";

    private sealed class Sink : ILlmCallSink
    {
        public ConcurrentQueue<LlmCallRecord> Records { get; } = new();

        public void Record(LlmCallRecord call) => Records.Enqueue(call);
    }
}
