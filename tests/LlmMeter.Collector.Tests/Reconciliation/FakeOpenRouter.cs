using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using WireMock;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace LlmMeter.Collector.Tests.Reconciliation;

/// <summary>One scripted answer of the generation endpoint.</summary>
internal sealed record Reply(int Status, string? Body = null, string? RetryAfter = null)
{
    public static Reply NotFound { get; } = new(404, """{"error":{"code":404,"message":"Generation not found"}}""");

    /// <summary>A 200 shaped like OpenRouter's <c>GET /api/v1/generation</c>.</summary>
    public static Reply Found(string id, decimal totalCost) => new(200, string.Create(CultureInfo.InvariantCulture, $$$"""
        {"data":{"id":"{{{id}}}","total_cost":{{{totalCost}}},"created_at":"2026-11-27T10:15:00Z","model":"openai/gpt-4o-mini",
        "origin":"","usage":{{{totalCost}}},"is_byok":false,"upstream_id":"chatcmpl-1","cache_discount":null,"app_id":null,
        "streamed":true,"cancelled":false,"provider_name":"OpenAI","latency":950,"moderation_latency":null,"generation_time":900,
        "finish_reason":"stop","native_finish_reason":"stop","tokens_prompt":1200,"tokens_completion":300,
        "native_tokens_prompt":1200,"native_tokens_completion":300,"native_tokens_reasoning":50,"native_tokens_cached":200,
        "num_media_prompt":null,"num_media_completion":null,"num_search_results":null}}
        """));
}

/// <summary>
/// OpenRouter's <c>GET /api/v1/generation?id=</c> on WireMock.Net: each id answers its scripted replies in order,
/// then <see cref="Otherwise"/> (404 by default).
/// </summary>
internal sealed class FakeOpenRouter : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Reply>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<IRequestMessage> _answered = new();

    public FakeOpenRouter()
    {
        Server = WireMockServer.Start();
        Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/api/v1/generation").UsingGet())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(Answer));
    }

    public WireMockServer Server { get; }

    /// <summary>What the collector is configured with (<c>Reconciliation:OpenRouterBaseAddress</c>).</summary>
    public string BaseAddress => Server.Url + "/api/v1";

    /// <summary>The answer once an id's script is used up.</summary>
    public Func<string, Reply> Otherwise { get; set; } = _ => Reply.NotFound;

    public void Script(string id, params Reply[] replies) => _scripts[id] = new ConcurrentQueue<Reply>(replies);

    /// <summary>
    /// Every request answered, oldest first. Kept by the callback before it answers, so a request is listed by the
    /// time the collector has its response (WireMock's own log may lag behind).
    /// </summary>
    public IReadOnlyList<IRequestMessage> Requests => [.. _answered];

    public IReadOnlyList<IRequestMessage> RequestsFor(string id) => [.. Requests.Where(r => IdOf(r) == id)];

    public static string? IdOf(IRequestMessage request) =>
        request.Query is { } query && query.TryGetValue("id", out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => Server.Stop();

    private ResponseMessage Answer(IRequestMessage request)
    {
        _answered.Enqueue(request);
        var id = IdOf(request) ?? string.Empty;
        var reply = _scripts.TryGetValue(id, out var script) && script.TryDequeue(out var next) ? next : Otherwise(id);
        var response = new ResponseMessage { StatusCode = reply.Status };
        response.AddHeader("Content-Type", "application/json");
        if (reply.RetryAfter is not null)
        {
            response.AddHeader("Retry-After", reply.RetryAfter);
        }

        if (reply.Body is not null)
        {
            response.BodyData = new BodyData { BodyAsString = reply.Body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        }

        return response;
    }
}
