using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmMeter.Collector.Reconciliation;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Collector.Tests.Reconciliation;

/// <summary>Cost reconciliation against OpenRouter's generation endpoint (WireMock), on a real collector and SQLite file.</summary>
public sealed class ReconciliationTests
{
    [Fact]
    public async Task Reconcile_EstimatedRecord_StoresOpenRouterCostAsReconciled()
    {
        using var openRouter = new FakeOpenRouter();
        var record = ReconcilingCollector.Estimated(cost: 0.001m);
        openRouter.Script(record.Id, Reply.Found(record.Id, 0.0042m));
        await using var collector = await ReconcilingCollector.StartAsync(openRouter);
        using var client = collector.Host.Client(CollectorHost.AdminKey);
        using (var content = new StringContent("[" + LlmMeterJson.Serialize(record) + "]", Encoding.UTF8, "application/json"))
        using (var posted = await client.PostAsync(new Uri("v1/calls", UriKind.Relative), content))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        var reconciled = await collector.WaitForReconciledAsync(record.Id);

        Assert.Equal(0.0042m, reconciled.CostUsd);
        // Through the API: the call and the spend rollups show the reconciled cost.
        using var call = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/calls/{record.Id}", UriKind.Relative)));
        Assert.Equal("reconciled", call.RootElement.GetProperty("cost_source").GetString());
        Assert.Equal(0.0042m, call.RootElement.GetProperty("cost_usd").GetDecimal());
        var from = record.StartedAt.AddDays(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var to = record.StartedAt.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        using var spend = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/spend?from={from}&to={to}", UriKind.Relative)));
        Assert.Equal(0.0042m, spend.RootElement.GetProperty("total").GetProperty("cost_usd").GetDecimal());
        // Prometheus: 0.001 counted at ingest, plus the 0.0032 difference.
        var scrape = await PrometheusText.ScrapeAsync(collector.Host);
        Assert.Equal(0.0042, scrape.Value("llmmeter_spend_usd_total", ("app", "search-api")), 9);

        Assert.Single(openRouter.Requests);
        // WireMock's request log: one GET of the generation, with the OpenRouter key as bearer.
        var logged = await WaitFor.ValueAsync(
            () => Task.FromResult(openRouter.Server.LogEntries.Select(e => e.RequestMessage).ToList()),
            entries => entries.Count > 0,
            "WireMock to log the request");
        var request = Assert.Single(logged);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/api/v1/generation", request.AbsolutePath);
        Assert.Equal(record.Id, FakeOpenRouter.IdOf(request));
        Assert.Equal($"Bearer {ReconcilingCollector.OpenRouterKey}", request.Headers!["Authorization"].Single());
        AssertKeyNeverLogged(collector);
    }

    [Fact]
    public async Task Reconcile_NotFoundTwiceThenFound_RetriesThatIdAndReconciles()
    {
        using var openRouter = new FakeOpenRouter();
        var record = ReconcilingCollector.Estimated(cost: null);
        openRouter.Script(record.Id, Reply.NotFound, Reply.NotFound, Reply.Found(record.Id, 0.0009m));
        await using var collector = await ReconcilingCollector.StartAsync(openRouter);

        await collector.InsertAsync(record);
        var reconciled = await collector.WaitForReconciledAsync(record.Id);

        Assert.Equal(0.0009m, reconciled.CostUsd);
        var requests = openRouter.RequestsFor(record.Id);
        Assert.Equal(3, requests.Count);
        // Backoff per id: the second retry waited longer than the first (200 ms, then 400 ms with a 200 ms interval).
        var firstGap = requests[1].DateTime - requests[0].DateTime;
        var secondGap = requests[2].DateTime - requests[1].DateTime;
        Assert.True(firstGap >= TimeSpan.FromMilliseconds(150), $"first retry after {firstGap.TotalMilliseconds} ms");
        Assert.True(secondGap >= TimeSpan.FromMilliseconds(350), $"second retry after {secondGap.TotalMilliseconds} ms");
        Assert.False(await collector.IsCandidateAsync(record.Id));
    }

    [Fact]
    public async Task Reconcile_NeverFound_GivesUpOnceGiveUpAfterHasPassed()
    {
        using var openRouter = new FakeOpenRouter();
        await using var collector = await ReconcilingCollector.StartAsync(openRouter, withKey: true, "--Reconciliation:GiveUpAfter=00:00:01");
        // Made after start-up, so a slow start does not eat into the second before giving up.
        var record = ReconcilingCollector.Estimated();

        await collector.InsertAsync(record);
        await WaitFor.ValueAsync(() => collector.IsCandidateAsync(record.Id), candidate => !candidate, "the record to be given up");
        var givenUpAt = DateTimeOffset.UtcNow;

        Assert.True(givenUpAt - record.StartedAt >= TimeSpan.FromSeconds(1), $"gave up {(givenUpAt - record.StartedAt).TotalMilliseconds} ms after the call");
        // Looked up (at least) once before giving up; retries of a 404 are covered by the test above.
        Assert.NotEmpty(openRouter.RequestsFor(record.Id));
        var stored = await collector.Store.GetCallAsync(record.Id, CancellationToken.None);
        Assert.Equal(LlmCostSource.Estimated, stored!.CostSource);
        Assert.Equal(0.001m, stored.CostUsd);
        // The reconciler marks the record before it logs: wait for the line rather than race it.
        await WaitFor.ConditionAsync(
            () => collector.Logs.From<CostReconciler>(LogLevel.Information).Any(l => l.Text.Contains("gave up", StringComparison.Ordinal) && l.Text.Contains(record.Id, StringComparison.Ordinal)),
            "the give-up log line");

        // Lookups stop: a later record is reconciled by further passes while the given-up one is not asked for again.
        var requestsAtGiveUp = openRouter.RequestsFor(record.Id).Count;
        var later = ReconcilingCollector.Estimated();
        openRouter.Script(later.Id, Reply.Found(later.Id, 0.002m));
        await collector.InsertAsync(later);
        await collector.WaitForReconciledAsync(later.Id);
        Assert.Equal(requestsAtGiveUp, openRouter.RequestsFor(record.Id).Count);
    }

    [Fact]
    public async Task Reconcile_NoKey_LogsOffOnceAndNeverCallsOpenRouter()
    {
        using var openRouter = new FakeOpenRouter();
        openRouter.Otherwise = id => Reply.Found(id, 1m);
        await using var collector = await ReconcilingCollector.StartAsync(openRouter, withKey: false);
        var record = ReconcilingCollector.Estimated();
        await collector.InsertAsync(record);

        // The job has ended (nothing left that could send a request later).
        var job = collector.Host.Services.GetServices<IHostedService>().OfType<CostReconciler>().Single();
        await WaitFor.ConditionAsync(() => job.ExecuteTask is { IsCompleted: true }, "the reconciliation job to end");

        Assert.True(job.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Empty(openRouter.Requests);
        var off = Assert.Single(collector.Logs.From<CostReconciler>(LogLevel.Information));
        Assert.Contains("off", off.Text, StringComparison.Ordinal);
        Assert.Equal(LlmCostSource.Estimated, (await collector.Store.GetCallAsync(record.Id, CancellationToken.None))!.CostSource);
    }

    [Fact]
    public async Task Reconcile_LocalIds_AreNeverLookedUp()
    {
        using var openRouter = new FakeOpenRouter();
        openRouter.Otherwise = id => Reply.Found(id, 0.5m);
        var local = ReconcilingCollector.Estimated(id: "llmm-" + Guid.NewGuid().ToString("N")) with { StartedAt = DateTimeOffset.UtcNow.AddSeconds(-5) };
        var generation = ReconcilingCollector.Estimated();
        await using var collector = await ReconcilingCollector.StartAsync(openRouter);

        await collector.InsertAsync(local, generation);
        // Oldest first: by the time the newer generation is reconciled, the local id has been passed over.
        await collector.WaitForReconciledAsync(generation.Id);

        Assert.Empty(openRouter.RequestsFor(local.Id));
        Assert.All(openRouter.Requests, r => Assert.DoesNotContain("llmm-", r.Url, StringComparison.Ordinal));
        Assert.False(await collector.IsCandidateAsync(local.Id));
        Assert.Equal(LlmCostSource.Estimated, (await collector.Store.GetCallAsync(local.Id, CancellationToken.None))!.CostSource);
    }

    [Fact]
    public async Task Reconcile_KeyRefused_StopsEachPassAtTheFirstLookupAndLogsOneError()
    {
        using var openRouter = new FakeOpenRouter();
        openRouter.Otherwise = _ => new Reply(401, """{"error":{"code":401,"message":"No auth credentials found"}}""");
        await using var collector = await ReconcilingCollector.StartAsync(openRouter);

        await collector.InsertAsync(ReconcilingCollector.Estimated(), ReconcilingCollector.Estimated(), ReconcilingCollector.Estimated());
        await WaitFor.ConditionAsync(() => openRouter.Requests.Count >= 3, "three passes");

        // One lookup per pass: consecutive requests are an interval (200 ms) apart, never back to back.
        var requests = openRouter.Requests;
        for (var i = 1; i < requests.Count; i++)
        {
            var gap = requests[i].DateTime - requests[i - 1].DateTime;
            Assert.True(gap >= TimeSpan.FromMilliseconds(150), $"requests {i - 1} and {i} were {gap.TotalMilliseconds} ms apart");
        }

        var error = Assert.Single(collector.Logs.From<CostReconciler>(LogLevel.Error));
        Assert.Contains("401", error.Text, StringComparison.Ordinal);
        AssertKeyNeverLogged(collector);
    }

    [Fact]
    public async Task Reconcile_RateLimited_WaitsForRetryAfterThenReconciles()
    {
        using var openRouter = new FakeOpenRouter();
        var first = ReconcilingCollector.Estimated();
        var second = ReconcilingCollector.Estimated() with { StartedAt = first.StartedAt.AddMilliseconds(1) };
        openRouter.Script(first.Id, new Reply(429, """{"error":{"code":429,"message":"Rate limit exceeded"}}""", RetryAfter: "1"), Reply.Found(first.Id, 0.003m));
        openRouter.Script(second.Id, Reply.Found(second.Id, 0.004m));
        await using var collector = await ReconcilingCollector.StartAsync(openRouter);

        await collector.InsertAsync(first, second);
        await collector.WaitForReconciledAsync(first.Id);
        await collector.WaitForReconciledAsync(second.Id);

        var requests = openRouter.Requests;
        Assert.Equal([first.Id, first.Id, second.Id], requests.Select(FakeOpenRouter.IdOf));
        var pause = requests[1].DateTime - requests[0].DateTime;
        Assert.True(pause >= TimeSpan.FromMilliseconds(950), $"resumed {pause.TotalMilliseconds} ms after a 429 with Retry-After: 1");
    }

    [Fact]
    public async Task Reconcile_ServerErrors_BackOffTheWholeJobThenReconcile()
    {
        using var openRouter = new FakeOpenRouter();
        var first = ReconcilingCollector.Estimated();
        var second = ReconcilingCollector.Estimated() with { StartedAt = first.StartedAt.AddMilliseconds(1) };
        openRouter.Script(first.Id, new Reply(502, "bad gateway"), new Reply(503, "busy"), Reply.Found(first.Id, 0.003m));
        openRouter.Script(second.Id, Reply.Found(second.Id, 0.004m));
        await using var collector = await ReconcilingCollector.StartAsync(openRouter);

        await collector.InsertAsync(first, second);
        await collector.WaitForReconciledAsync(first.Id);
        await collector.WaitForReconciledAsync(second.Id);

        var requests = openRouter.Requests;
        // Each failure ends the pass: the second record is only asked for once the first succeeded.
        Assert.Equal([first.Id, first.Id, first.Id, second.Id], requests.Select(FakeOpenRouter.IdOf));
        // The job's backoff doubles: one interval (200 ms), then two.
        Assert.True(requests[1].DateTime - requests[0].DateTime >= TimeSpan.FromMilliseconds(150));
        Assert.True(requests[2].DateTime - requests[1].DateTime >= TimeSpan.FromMilliseconds(350));
        Assert.Equal(2, collector.Logs.From<CostReconciler>(LogLevel.Warning).Count);
    }

    [Fact]
    public async Task Reconcile_OpenRouterUnreachable_KeepsRunningAndRecordsStayEstimated()
    {
        // A port nobody listens on: connection refused on every lookup.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var baseAddress = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/api/v1";
        listener.Stop();
        using var unused = new FakeOpenRouter();
        var record = ReconcilingCollector.Estimated();
        await using var collector = await ReconcilingCollector.StartAsync(unused, withKey: true, $"--Reconciliation:OpenRouterBaseAddress={baseAddress}");

        await collector.InsertAsync(record);
        await WaitFor.ConditionAsync(
            () => collector.Logs.From<GenerationClient>(LogLevel.Warning).Count >= 2,
            "two failed lookups");

        var job = collector.Host.Services.GetServices<IHostedService>().OfType<CostReconciler>().Single();
        Assert.False(job.ExecuteTask!.IsCompleted);
        Assert.Equal(LlmCostSource.Estimated, (await collector.Store.GetCallAsync(record.Id, CancellationToken.None))!.CostSource);
        Assert.True(await collector.IsCandidateAsync(record.Id));
        Assert.Empty(unused.Requests);
        AssertKeyNeverLogged(collector);
    }

    private static void AssertKeyNeverLogged(ReconcilingCollector collector)
    {
        var lines = collector.Logs.Lines;
        Assert.NotEmpty(lines);
        Assert.Contains(lines, l => l.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Text.Contains(ReconcilingCollector.OpenRouterKey, StringComparison.Ordinal));
    }
}
