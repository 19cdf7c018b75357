using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LlmMeter.Collector.Demo;

/// <summary>
/// A stand-in for OpenRouter on its own Kestrel (127.0.0.1, ephemeral port), for the demo only: <c>GET /api/v1/models</c>
/// with the catalog's prices, <c>POST /api/v1/chat/completions</c> answering as OpenRouter does (usage with
/// <c>cost</c> on most answers, <c>models</c> fallbacks, SSE streams with keep-alive comments, time to first token and
/// chunk pacing, 429 and 502 error bodies, mid-stream errors), and the demo's alert webhook receiver
/// (<see cref="DemoAlertReceiver"/>). What happens to a call follows a fixed schedule on the call count, so every case
/// shows up within the first few dozen calls; token counts and delays are random.
/// </summary>
internal sealed class OpenRouterSimulator : IAsyncDisposable
{
    public const string AlertPath = "/demo/alerts";

    private readonly WebApplication _app;
    private readonly double _scale;
    private readonly TimeProvider _time;
    private long _calls;

    private OpenRouterSimulator(WebApplication app, double latencyScale, TimeProvider time, string webhookSecret)
    {
        _app = app;
        _scale = latencyScale;
        _time = time;
        Alerts = new DemoAlertReceiver(webhookSecret, time);
    }

    /// <summary>The simulator's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where the handler points instead of <c>https://openrouter.ai/api/v1/</c>.</summary>
    public Uri ApiRoot { get; private set; } = null!;

    /// <summary>The demo's alert webhook (configured as one of the collector's <c>Alerts:Webhooks</c>).</summary>
    public Uri AlertWebhook { get; private set; } = null!;

    public DemoAlertReceiver Alerts { get; }

    /// <summary>How many chat completions the simulator was asked for.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Starts listening. The pacing follows <paramref name="time"/>, scaled by <paramref name="latencyScale"/>.</summary>
    public static async Task<OpenRouterSimulator> StartAsync(double latencyScale, string webhookSecret, TimeProvider time)
    {
        // An empty builder: no configuration, logging or environment of the collector leaks into the simulator.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var simulator = new OpenRouterSimulator(app, latencyScale, time, webhookSecret);
        app.Run(simulator.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        simulator.ApiRoot = new Uri(simulator.BaseAddress, "api/v1/");
        simulator.AlertWebhook = new Uri(simulator.BaseAddress, AlertPath.TrimStart('/'));
        return simulator;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? string.Empty;
        return (request.Method, path) switch
        {
            ("GET", "/api/v1/models") => WriteAsync(context.Response, 200, SimulatedModels.CatalogJson),
            ("POST", "/api/v1/chat/completions") => ChatAsync(context),
            ("POST", AlertPath) => Alerts.ReceiveAsync(context),
            _ => WriteAsync(context.Response, 404, SimulatedResponses.Error(404, $"Not found: {path} (the demo's OpenRouter simulator serves /api/v1/models and /api/v1/chat/completions)")),
        };
    }

    private async Task ChatAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var call = Interlocked.Increment(ref _calls);
        ChatRequest chat;
        try
        {
            chat = await ChatRequest.ReadAsync(context.Request, aborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await WriteAsync(context.Response, 400, SimulatedResponses.Error(400, "Invalid JSON body")).ConfigureAwait(false);
            return;
        }

        var candidates = chat.Candidates.Select(SimulatedModels.Find).ToList();
        if (candidates.Count == 0 || candidates.Any(m => m is null))
        {
            var unknown = chat.Candidates.FirstOrDefault(id => SimulatedModels.Find(id) is null) ?? "(none)";
            await WriteAsync(context.Response, 400, SimulatedResponses.Error(400, $"{unknown} is not a valid model ID")).ConfigureAwait(false);
            return;
        }

        if (call % 23 == 7)
        {
            await DelayAsync(20, 80, aborted).ConfigureAwait(false);
            context.Response.Headers.RetryAfter = "1";
            await WriteAsync(context.Response, 429, SimulatedResponses.Error(429, "Rate limit exceeded: too many requests for this key, retry shortly (simulated)", new Dictionary<string, string>
            {
                ["provider_name"] = candidates[0]!.Provider,
            })).ConfigureAwait(false);
            return;
        }

        // The first model is down now and then: OpenRouter tries the next entry of `models`; without one, half the
        // time another provider of the same model serves (slower) and half the time the call fails with 502.
        var served = candidates[0]!;
        if (call % 6 == 1)
        {
            await DelayAsync(150, 600, aborted).ConfigureAwait(false);
            if (candidates.Count < 2 && call % 12 == 1)
            {
                await WriteAsync(context.Response, 502, SimulatedResponses.Error(502, "Provider returned error (simulated upstream outage)", new Dictionary<string, string>
                {
                    ["provider_name"] = served.Provider,
                    ["raw"] = "upstream connect error or disconnect/reset before headers",
                })).ConfigureAwait(false);
                return;
            }

            served = candidates.Count < 2 ? served : candidates[1]!;
        }

        var usage = Usage(call, chat, served);
        var created = _time.GetUtcNow().ToUnixTimeSeconds();
        var id = SimulatedResponses.GenerationId(created);
        context.Response.Headers["X-Generation-Id"] = id;
        if (chat.Stream)
        {
            await StreamAsync(context.Response, call, id, created, served, usage, aborted).ConfigureAwait(false);
            return;
        }

        await DelayAsync(250 + (int)(usage.Completion * 1.5), 900 + (int)(usage.Completion * 1.5), aborted).ConfigureAwait(false);
        var words = (int)Math.Clamp(usage.Completion / 2, 5, 200);
        var body = SimulatedResponses.Completion(id, created, served, SimulatedResponses.Words((int)call, words), usage);
        await WriteAsync(context.Response, 200, body).ConfigureAwait(false);
    }

    private async Task StreamAsync(HttpResponse response, long call, string id, long created, SimulatedModel model, SimulatedUsage usage, CancellationToken aborted)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await DelayAsync(30, 120, aborted).ConfigureAwait(false);
        await response.StartAsync(aborted).ConfigureAwait(false);

        // Keep-alive comments while the provider is "thinking", then the first token.
        var firstToken = Random.Shared.Next(250, 1100);
        for (var waited = 0; waited < firstToken; waited += 300)
        {
            await SendAsync(response, SimulatedResponses.Processing, aborted).ConfigureAwait(false);
            await DelayAsync(Math.Min(300, firstToken - waited), Math.Min(300, firstToken - waited), aborted).ConfigureAwait(false);
        }

        var chunks = (int)Math.Clamp(usage.Completion / 8, 4, 40);
        for (var i = 0; i < chunks; i++)
        {
            if (call % 37 == 13 && i == 3)
            {
                await SendAsync(response, SimulatedResponses.StreamError(id, created, model), aborted).ConfigureAwait(false);
                return; // The stream ends without usage or [DONE], as OpenRouter's do.
            }

            var text = (i == 0 ? string.Empty : " ") + SimulatedResponses.Words((int)call + (i * 3), 3);
            await SendAsync(response, SimulatedResponses.Chunk(id, created, model, text, first: i == 0, finishReason: i == chunks - 1 ? "stop" : null), aborted).ConfigureAwait(false);
            await DelayAsync(15, 45, aborted).ConfigureAwait(false);
        }

        await SendAsync(response, SimulatedResponses.UsageChunk(id, created, model, usage, emptyChoices: call % 2 == 0), aborted).ConfigureAwait(false);
        await SendAsync(response, SimulatedResponses.Done, aborted).ConfigureAwait(false);
    }

    // Tokens from the prompt's length plus a system prompt and context; every fourth call hits the prompt cache, and
    // every ninth answer leaves `cost` out (the handler then prices it from /models).
    private static SimulatedUsage Usage(long call, ChatRequest chat, SimulatedModel model)
    {
        long prompt = (chat.PromptCharacters / 4) + Random.Shared.Next(200, 1800);
        long cached = call % 4 == 0 ? prompt / 2 : 0;
        long completion = Random.Shared.Next(40, 600);
        decimal? cost = call % 9 == 4 ? null : model.Cost(prompt, cached, completion);
        return new SimulatedUsage(prompt, cached, completion, cost);
    }

    private Task DelayAsync(int minMs, int maxMs, CancellationToken cancellationToken)
    {
        var ms = (maxMs > minMs ? Random.Shared.Next(minMs, maxMs) : minMs) * _scale;
        return ms < 1 ? Task.CompletedTask : Task.Delay(TimeSpan.FromMilliseconds(ms), _time, cancellationToken);
    }

    private static async Task SendAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteAsync(HttpResponse response, int status, byte[] json)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = json.Length;
        return response.Body.WriteAsync(json).AsTask();
    }

    /// <summary>What the simulator needs from a chat request: the models to try, whether to stream, the prompt's size.</summary>
    private sealed record ChatRequest(IReadOnlyList<string> Candidates, bool Stream, int PromptCharacters)
    {
        public static async Task<ChatRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            var candidates = new List<string>();
            if (root.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array)
            {
                candidates.AddRange(models.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.String).Select(m => m.GetString()!));
            }

            if (root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String && !candidates.Contains(model.GetString()!))
            {
                candidates.Insert(0, model.GetString()!);
            }

            var characters = 0;
            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in messages.EnumerateArray())
                {
                    if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                    {
                        characters += content.GetString()!.Length;
                    }
                }
            }

            var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            return new ChatRequest(candidates, stream, characters);
        }
    }
}
