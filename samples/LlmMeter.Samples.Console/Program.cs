// A console app calling OpenRouter through the OpenAI .NET SDK, metered by LlmMeter:
//   OPENROUTER_API_KEY=sk-or-... dotnet run --project samples/LlmMeter.Samples.Console
// Optional: LLMMETER_COLLECTOR=http://127.0.0.1:5080/ (and LLMMETER_INGEST_KEY) ships the records to a collector.
using System.ClientModel;
using System.ClientModel.Primitives;
using LlmMeter;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenAI;
using OpenAI.Chat;

var apiKey = Environment.GetEnvironmentVariable("OPENROUTER_API_KEY");
if (string.IsNullOrWhiteSpace(apiKey))
{
    Console.Error.WriteLine("Set OPENROUTER_API_KEY to run this sample against OpenRouter (or run the collector's --demo for simulated traffic).");
    return 2;
}

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton<ILlmCallSink, ConsoleSink>(); // Every registered sink receives every record.
var openRouter = builder.Services.AddHttpClient("openrouter").AddLlmMeter(o =>
{
    o.App = "sample-console";
    o.DefaultTags["env"] = "dev";
    o.RequestRoutingMetadata = true; // exact fallback detection from OpenRouter's routing metadata
});
if (Environment.GetEnvironmentVariable("LLMMETER_COLLECTOR") is { Length: > 0 } collector)
{
    openRouter.AddLlmMeterCollector(new Uri(collector), Environment.GetEnvironmentVariable("LLMMETER_INGEST_KEY") ?? string.Empty);
}

using var host = builder.Build();
var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter");
var chat = new ChatClient(
    model: "openai/gpt-4o-mini",
    credential: new ApiKeyCredential(apiKey),
    options: new OpenAIClientOptions
    {
        Endpoint = new Uri("https://openrouter.ai/api/v1"),
        Transport = new HttpClientPipelineTransport(http), // the SDK sends through the metered HttpClient
    });

// SDK users cannot touch the request: an ambient scope tags every call made inside it.
using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "samples", ["feature"] = "greeting" }))
{
    ChatCompletion completion = await chat.CompleteChatAsync("Say hello in five words.");
    Console.WriteLine($"answer: {completion.Content[0].Text}");

    Console.Write("streamed: ");
    await foreach (var update in chat.CompleteChatStreamingAsync("Count from one to five."))
    {
        foreach (var part in update.ContentUpdate)
        {
            Console.Write(part.Text);
        }
    }

    Console.WriteLine();
}

return 0; // Disposing the host flushes the collector exporter.

/// <summary>Prints what LlmMeter recorded for each call (never the prompt or the answer).</summary>
internal sealed class ConsoleSink : ILlmCallSink
{
    public void Record(LlmCallRecord call) => Console.WriteLine(
        $"[llmmeter] {call.Outcome} requested={call.RequestedModel} served={call.ServedModel} fallback={call.FallbackUsed} "
        + $"provider={call.Provider} latency={call.LatencyMs:F0}ms ttft={call.TtftMs:F0}ms tokens={call.InputTokens}/{call.OutputTokens} "
        + $"cost=${call.CostUsd} ({call.CostSource})");
}
