// An ASP.NET Core minimal API calling OpenRouter with IHttpClientFactory, metered by LlmMeter and made
// resilient with Microsoft.Extensions.Http.Resilience:
//   OPENROUTER_API_KEY=sk-or-... dotnet run --project samples/LlmMeter.Samples.WebApi
//   curl -s 'http://localhost:5000/summarize?text=LlmMeter+records+every+OpenRouter+call'
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmMeter;

var builder = WebApplication.CreateBuilder(args);
var apiKey = builder.Configuration["OPENROUTER_API_KEY"];

builder.Services.AddSingleton<ILlmCallSink, LogSink>();
builder.Services.AddHttpClient("openrouter", client =>
    {
        client.BaseAddress = new Uri("https://openrouter.ai/api/v1/");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        client.Timeout = Timeout.InfiniteTimeSpan; // the resilience handler owns the timeouts
    })
    // Order matters: handlers run in the order they are added. LlmMeter first, outside the resilience
    // handler, records ONE record per logical call (its latency includes retries). Added after it, it would
    // record every attempt, which shows each 429 and retry but counts one user request several times.
    .AddLlmMeter(o => o.App = "sample-webapi")
    .AddStandardResilienceHandler(o =>
    {
        // LLM-sized timeouts: a long completion streams for minutes, the defaults (10 s per attempt) would cut it.
        o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(90);
        o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(4);
        o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(3); // must be at least twice the attempt timeout
        o.Retry.MaxRetryAttempts = 2;
    });

var app = builder.Build();

app.MapGet("/summarize", async (string text, IHttpClientFactory factory, CancellationToken cancellationToken) =>
{
    if (string.IsNullOrWhiteSpace(apiKey))
    {
        return Results.Problem("Set OPENROUTER_API_KEY to call OpenRouter.", statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    var http = factory.CreateClient("openrouter");
    var body = new JsonObject
    {
        ["model"] = "openai/gpt-4o-mini",
        ["models"] = new JsonArray("openai/gpt-4o-mini", "anthropic/claude-3-haiku"), // OpenRouter falls back in order
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"Summarize in one sentence: {text}" }),
    };
    using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
    {
        Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
    };
    request.Headers.Add("X-LlmMeter-Tags", "team=samples,feature=summarize"); // removed by the handler before sending
    using var response = await http.SendAsync(request, cancellationToken);
    using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    return response.IsSuccessStatusCode
        ? Results.Ok(new { summary = answer.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() })
        : Results.Problem(answer.RootElement.ToString(), statusCode: (int)response.StatusCode);
});

app.Run();

/// <summary>Logs each record's summary (never the prompt or the answer).</summary>
internal sealed partial class LogSink(ILogger<LogSink> logger) : ILlmCallSink
{
    public void Record(LlmCallRecord call) =>
        Log(logger, call.Outcome, call.RequestedModel, call.ServedModel, call.FallbackUsed, call.LatencyMs, call.CostUsd);

    [LoggerMessage(Level = LogLevel.Information, Message = "LLM call {Outcome}: requested {Requested}, served {Served}, fallback {Fallback}, {LatencyMs} ms, ${Cost}")]
    private static partial void Log(ILogger logger, LlmCallOutcome outcome, string? requested, string? served, bool fallback, double latencyMs, decimal? cost);
}
