using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Collector.Tests.Reconciliation;

/// <summary>A real collector whose reconciliation talks to a <see cref="FakeOpenRouter"/>, with its logs captured.</summary>
internal sealed class ReconcilingCollector : IAsyncDisposable
{
    public const string OpenRouterKey = "sk-or-v1-test-reconcile-0123456789abcdef";

    private ReconcilingCollector(CollectorHost host, FakeOpenRouter openRouter, LogCapture logs)
    {
        Host = host;
        OpenRouter = openRouter;
        Logs = logs;
    }

    public CollectorHost Host { get; }

    public FakeOpenRouter OpenRouter { get; }

    public LogCapture Logs { get; }

    public ICallStore Store => Host.Services.GetRequiredService<ICallStore>();

    /// <summary>Starts with the key, a 200 ms interval and the fake as OpenRouter; <paramref name="extraArgs"/> win.</summary>
    public static async Task<ReconcilingCollector> StartAsync(FakeOpenRouter openRouter, bool withKey = true, params string[] extraArgs)
    {
        var logs = new LogCapture();
        string[] args =
        [
            $"--Reconciliation:OpenRouterBaseAddress={openRouter.BaseAddress}",
            "--Reconciliation:Interval=00:00:00.200",
            // Explicit either way, so an OPENROUTER_API_KEY in the environment cannot change the test.
            $"--Reconciliation:OpenRouterApiKey={(withKey ? OpenRouterKey : string.Empty)}",
            "--OPENROUTER_API_KEY=",
            "--Logging:LogLevel:LlmMeter=Debug",
            // Request and header lines of the HttpClient: the key must not show up there either.
            "--Logging:LogLevel:System.Net.Http.HttpClient=Trace",
            .. extraArgs,
        ];
        var host = await CollectorHost.StartAsync(CollectorHost.NewFolder(), args, services => services.AddSingleton<ILoggerProvider>(logs));
        return new ReconcilingCollector(host, openRouter, logs);
    }

    /// <summary>Stores records straight into the store (the path ingest takes after validation).</summary>
    public async Task InsertAsync(params LlmCallRecord[] records) => await Store.InsertAsync(records, CancellationToken.None);

    /// <summary>Waits until the record's cost source is reconciled and returns it.</summary>
    public async Task<LlmCallRecord> WaitForReconciledAsync(string id) =>
        (await WaitFor.ValueAsync(
            () => Store.GetCallAsync(id, CancellationToken.None),
            r => r?.CostSource == LlmCostSource.Reconciled,
            $"record {id} to be reconciled"))!;

    public async Task<bool> IsCandidateAsync(string id) =>
        (await Store.GetReconcileCandidatesAsync(DateTimeOffset.UnixEpoch, 1_000, CancellationToken.None)).Any(c => c.Id == id);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Host.Folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle still open; the OS temp cleaner gets it.
        }
    }

    /// <summary>An estimated record of a call that started just now (reconciliation only looks at recent calls).</summary>
    public static LlmCallRecord Estimated(string? id = null, decimal? cost = 0.001m, string app = "search-api") =>
        Records.Call(id: id, startedAt: TruncatedNow(), app: app, cost: cost) with { CostSource = cost is null ? LlmCostSource.None : LlmCostSource.Estimated };

    private static DateTimeOffset TruncatedNow()
    {
        var now = TimeProvider.System.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}
