using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Hosting;
using LlmMeter.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Benchmarks.Collector;

/// <summary>
/// How far a hard budget is overrun (<c>-- budget-overshoot</c>): one application with 4 concurrent clients, each
/// calling at 50 calls/s through the handler with one shared <see cref="LlmMeterPolicy"/> (as DI shares it), against a
/// $1 daily budget that blocks at 100 %. A simulated OpenRouter (Kestrel, 127.0.0.1) answers after 40 ms with a
/// reported cost; records reach a real collector through the exporter.
/// </summary>
internal static class BudgetOvershootBench
{
    private const string Key = "bench-admin-key-0123456789";

    public static async Task RunAsync(decimal costPerCall, int clients, int callsPerSecond)
    {
        var folder = Path.Combine(Path.GetTempPath(), "llmmeter-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        await using var collector = CollectorApp.Create(
        [
            "--urls", "http://127.0.0.1:0", $"--Store:SqlitePath={Path.Combine(folder, "llmmeter.db")}", $"--Keys:Admin={Key}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await collector.StartAsync().ConfigureAwait(false);
        var collectorUri = Address(collector);
        await using var openRouter = await StartOpenRouterAsync(costPerCall).ConfigureAwait(false);
        using (var admin = new HttpClient { BaseAddress = collectorUri })
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            using var created = await admin.PostAsync(new Uri("v1/budgets", UriKind.Relative), new StringContent(
                """{"id":"hard","name":"Hard $1","scope":{"app":"overshoot"},"period":"day","limit_usd":1,"thresholds":[{"percent":100,"action":"block"}]}""",
                Encoding.UTF8,
                "application/json")).ConfigureAwait(false);
            created.EnsureSuccessStatusCode();
        }

        var policy = new LlmMeterPolicy(new LlmMeterPolicyOptions { Collector = collectorUri, ReadKey = Key });
        await policy.RefreshAsync().ConfigureAwait(false);
        var sink = new LlmMeterCollectorSink(collectorUri, Key);
        var options = new LlmMeterOptions { App = "overshoot", BaseAddress = Address(openRouter, "api/v1/"), RefreshPriceCatalog = false, Policy = policy };
        long ok = 0, blocked = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            using var http = new HttpClient(new LlmMeterHandler(options, sink) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = options.BaseAddress };
            var interval = TimeSpan.FromSeconds(1.0 / callsPerSecond);
            var next = Stopwatch.GetTimestamp();
            var inFlight = new List<Task>();
            // Paced like a real client: a call starts every 20 ms whether or not the last one has answered.
            while (Interlocked.Read(ref blocked) < 200 && watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                inFlight.Add(CallAsync(http));
                next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait).ConfigureAwait(false);
                }
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        })).ConfigureAwait(false);

        await sink.DisposeAsync().ConfigureAwait(false); // Flush every record to the collector.
        await policy.DisposeAsync().ConfigureAwait(false);
        using var read = new HttpClient { BaseAddress = collectorUri };
        read.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var spend = JsonDocument.Parse(await read.GetStringAsync(new Uri("v1/spend?app=overshoot&from=2000-01-01&to=2100-01-01", UriKind.Relative)).ConfigureAwait(false));
        var spent = spend.RootElement.GetProperty("total").GetProperty("cost_usd").GetDecimal();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} clients x {callsPerSecond} calls/s, ${costPerCall} a call, $1 budget blocking at 100 %: {ok} calls served, {blocked} blocked; "
            + $"spent ${spent:0.####} = overshoot {(spent - 1m) * 100m:0.##} % of the limit"));

        async Task CallAsync(HttpClient http)
        {
            using var response = await http.PostAsync(new Uri("chat/completions", UriKind.Relative), new StringContent(
                """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json")).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            Interlocked.Increment(ref response.StatusCode == HttpStatusCode.PaymentRequired ? ref blocked : ref ok);
        }
    }

    private static async Task<WebApplication> StartOpenRouterAsync(decimal cost)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var n = 0;
        app.MapPost("/api/v1/chat/completions", async (HttpContext ctx) =>
        {
            await Task.Delay(40).ConfigureAwait(false); // a fast model: calls overlap, as they do in production
            var id = Interlocked.Increment(ref n);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $$$"""{"id":"gen-overshoot-{{{id}}}","model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi."}}],"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"cost":{{{cost}}}}}""")).ConfigureAwait(false);
        });
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }

    private static Uri Address(WebApplication app, string path = "") =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/" + path);
}
