using System.Text.Json;
using LlmMeter.Collector.Demo;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Demo;

/// <summary>
/// The collector started as the quick start does (<c>--demo</c>, no keys, loopback), on an ephemeral port and a temp
/// SQLite file, sped up for tests: 50 calls/s, a $0.20 search budget (a few calls per percent, so the
/// downgrade band between 80 and 100 % is seen), simulator delays at a tenth.
/// </summary>
internal sealed class DemoCollector : IAsyncDisposable
{
    public static readonly string[] FastArgs = ["--Demo:CallsPerSecond=50", "--Demo:BudgetUsd=0.2", "--Demo:LatencyScale=0.1"];

    private readonly WebApplication _app;

    private DemoCollector(WebApplication app, string folder)
    {
        _app = app;
        Folder = folder;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "demo.db");

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public DemoRuntime Demo => _app.Services.GetRequiredService<DemoRuntime>();

    public static async Task<DemoCollector> StartAsync()
    {
        var folder = CollectorHost.NewFolder();
        var app = CollectorApp.Create(
        [
            "--demo",
            "--urls", "http://127.0.0.1:0",
            $"--Store:SqlitePath={Path.Combine(folder, "demo.db")}",
            "--Logging:LogLevel:Default=Warning",
            .. FastArgs,
        ]);
        await app.StartAsync();
        return new DemoCollector(app, folder);
    }

    /// <summary>The demo app's calls at the collector (newest first), once <paramref name="done"/> holds for them.</summary>
    public Task<JsonElement[]> CallsWhenAsync(Func<JsonElement[], bool> done, string what, TimeSpan? timeout = null) =>
        WaitFor.ValueAsync(
            async () => (await Api.Api.GetJsonAsync(Http, "v1/calls?app=demo-shop&limit=1000")).GetProperty("calls").EnumerateArray().ToArray(),
            done,
            what,
            timeout ?? TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a pooled handle; the OS temp cleaner gets it.
        }
    }
}
