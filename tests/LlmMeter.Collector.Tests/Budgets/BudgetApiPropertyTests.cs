using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Xunit.Abstractions;
using LlmMeter.Collector.Tests.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using static LlmMeter.Collector.Tests.Hosting.GeneratedBodies;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>
/// Generated bodies for <c>POST /v1/budgets</c> and <c>PUT /v1/budgets/{id}</c>, 10,000 each, against one real collector:
/// never a 5xx; every 4xx is ProblemDetails, and every 400 names the field at fault; afterwards the budgets are
/// exactly those listed before plus what the accepted (2xx) requests created or replaced.
/// </summary>
public sealed class BudgetApiPropertyTests(ITestOutputHelper output)
{
    public const int Requests = 10_000;

    private static readonly string[] s_seeds =
    [
        """{"id":"seed-a","name":"Seed A","scope":{"app":"search-api"},"period":"month","timezone":"Europe/Berlin","limit_usd":100,"thresholds":[{"percent":50,"action":"alert"},{"percent":100,"action":"block"}]}""",
        """{"id":"seed-b","name":"Seed B","period":"day","limit_usd":5,"thresholds":[{"percent":80,"action":"downgrade","model_map":{"*":"openai/gpt-4o-mini"}}]}""",
        """{"id":"seed-c","name":"Seed C","scope":{"team":"search","tag":"env=prod"},"period":"week","timezone":"Pacific/Kiritimati","limit_usd":0.5}""",
    ];

    private static readonly Gen<byte[]> s_budget = Object(
        ("id", Gen.Frequency(
            (3, Json("\"seed-a\"", "\"seed-b\"", "\"gen-1\"", "\"gen-2\"", "\"Not An Id\"")),
            (2, Gen.Int[0, 300].Select(n => Utf8($"\"gen-{n}\""))))),
        ("name", Gen.OneOf(Json("\"Generated\""), Gen.Char['a', 'z'].Array[1, 30].Select(c => Utf8(JsonSerializer.Serialize(new string(c)))))),
        ("scope", Gen.OneOf(
            Json("null", "{\"app\":\"search-api\"}", "{\"team\":\"t\",\"model\":\"openai/*\",\"provider\":\"OpenAI\"}", "{\"tag\":\"env=prod\"}"),
            Object(("app", Json("\"a\"")), ("tag", Json("\"k=v\""))))),
        ("period", Json("\"day\"", "\"week\"", "\"month\"")),
        ("timezone", Json("\"UTC\"", "\"Europe/Berlin\"", "\"Pacific/Kiritimati\"", "\"Etc/GMT+12\"", "\"America/Santiago\"")),
        ("limit_usd", Json("5", "0.01", "1000000", "12.345")),
        ("thresholds", Gen.OneOf(
            Json("[]", "[{\"percent\":50,\"action\":\"alert\"}]", "[{\"percent\":80,\"action\":\"downgrade\",\"model_map\":{\"*\":\"m\"}},{\"percent\":100,\"action\":\"block\"}]", "[{\"percent\":90,\"action\":\"route_free\",\"free_model\":\"x:free\"}]"),
            Object(("percent", Json("50", "100.5")), ("action", Json("\"alert\"", "\"block\""))).Select(t => (byte[])[(byte)'[', .. t, (byte)']']))));

    // Not "%00": Kestrel refuses a NUL in the request target itself, with an empty 400, before the app runs.
    private static readonly Gen<string> s_putId = Gen.Frequency(
        (8, Gen.OneOf("seed-a", "seed-b", "gen-1", "gen-2", "gen-5")),
        (1, Gen.OneOf("UPPER", "has%20space", new string('x', 65), "%C3%28", "%F0%9F%98%80", "a%2Fb")));

    [Fact]
    public async Task PostBudgets_GeneratedBodies_Never5xxAndNothingAcceptedIsLost()
    {
        await RunAsync(Body(s_budget).Select(body => (Method: HttpMethod.Post, Url: "v1/budgets", Body: body)));
    }

    [Fact]
    public async Task PutBudget_GeneratedBodies_Never5xxAndNothingAcceptedIsLost()
    {
        await RunAsync(Gen.Select(s_putId, Body(s_budget), (id, body) => (Method: HttpMethod.Put, Url: "v1/budgets/" + id, Body: body)));
    }

    private async Task RunAsync(Gen<(HttpMethod Method, string Url, GeneratedBody Body)> requests)
    {
        await using var host = await CollectorHost.StartAsync();
        using var admin = host.Client();
        foreach (var seed in s_seeds)
        {
            using var created = await admin.PostAsync("v1/budgets", Api.Api.Json(seed));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // What the collector must hold at the end: the budgets before, changed only by accepted requests (one at a time).
        var expected = await DefinitionsAsync(admin);
        var statuses = new Dictionary<int, int>();

        await requests.SampleAsync(
            async request =>
            {
                using var message = new HttpRequestMessage(request.Method, request.Url) { Content = Content(request.Body) };
                using var response = await admin.SendAsync(message);
                var text = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;

                Assert.True(status < 500, $"{request.Method} {request.Url} answered {status}: {text}");
                if (status >= 400)
                {
                    var problem = ProblemOf(response, text);
                    if (status == 400)
                    {
                        Assert.True(problem.TryGetPropertyValue("field", out var field) && field!.GetValue<string>().Length > 0, $"A 400 without the field: {text}");
                    }
                }
                else
                {
                    var resource = JsonNode.Parse(text)!.AsObject();
                    expected[resource["id"]!.GetValue<string>()] = Definition(resource);
                }
            },
            iter: Requests,
            threads: 1);

        var actual = await DefinitionsAsync(admin);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, definition) in expected)
        {
            Assert.True(JsonNode.DeepEquals(definition, actual[id]), $"{id}: expected {definition}, found {actual[id]}");
        }

        var answers = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        output.WriteLine($"{Requests} requests; answers {answers}; {expected.Count} budgets at the end");
        Assert.True(statuses.Keys.Any(s => s < 300) && statuses.GetValueOrDefault(400) > Requests / 4, "Answers: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
    }

    private static HttpContent Content(GeneratedBody body)
    {
        HttpContent content = body.Chunked ? new StreamContent(new UnseekableStream(body.Bytes)) : new ByteArrayContent(body.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static JsonObject ProblemOf(HttpResponseMessage response, string text)
    {
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)response.StatusCode} is not ProblemDetails: {text}");
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)response.StatusCode, problem["status"]!.GetValue<int>());
        return problem;
    }

    private static async Task<Dictionary<string, JsonNode>> DefinitionsAsync(HttpClient admin)
    {
        var list = JsonNode.Parse(await admin.GetStringAsync(new Uri("v1/budgets", UriKind.Relative)))!["budgets"]!.AsArray();
        return list.Select(b => b!.AsObject()).ToDictionary(b => b["id"]!.GetValue<string>(), Definition, StringComparer.Ordinal);
    }

    // The definition without the status of the current period, which moves with time.
    private static JsonNode Definition(JsonObject resource)
    {
        var copy = resource.DeepClone().AsObject();
        copy.Remove("status");
        return copy;
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
