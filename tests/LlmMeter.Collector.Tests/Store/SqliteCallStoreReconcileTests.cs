using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Store;

public sealed class SqliteCallStoreReconcileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    private static LlmCallRecord Estimated(string? id = null, DateTimeOffset? at = null, decimal cost = 0.0010m) =>
        Records.Call(id: id, startedAt: at ?? T0, cost: cost) with { CostSource = LlmCostSource.Estimated };

    [Fact]
    public async Task GetReconcileCandidatesAsync_MixedRecords_OnlyPendingOpenRouterIdsSinceOldestFirst()
    {
        await using var temp = await TempStore.CreateAsync();
        var estimatedLate = Estimated(at: T0.AddMinutes(30));
        var estimatedEarly = Estimated(at: T0.AddMinutes(1));
        var none = Records.Call(cost: null, startedAt: T0.AddMinutes(2));
        var reported = Records.Call(startedAt: T0.AddMinutes(3));
        var local = Estimated(id: "llmm-0001", at: T0.AddMinutes(4));
        var tooOld = Estimated(at: T0.AddMinutes(-1));
        var gaveUp = Estimated(at: T0.AddMinutes(5));
        var reconciled = Records.Call(startedAt: T0.AddMinutes(6)) with { CostSource = LlmCostSource.Reconciled };
        await temp.Store.InsertAsync([estimatedLate, estimatedEarly, none, reported, local, tooOld, gaveUp, reconciled], CancellationToken.None);
        await temp.Store.MarkReconcileFailedAsync(gaveUp.Id, CancellationToken.None);

        var candidates = await temp.Store.GetReconcileCandidatesAsync(T0, 10, CancellationToken.None);
        var limited = await temp.Store.GetReconcileCandidatesAsync(T0, 2, CancellationToken.None);

        Assert.Equal([estimatedEarly.Id, none.Id, estimatedLate.Id], candidates.Select(c => c.Id));
        Assert.Equal(new ReconcileCandidate(estimatedEarly.Id, estimatedEarly.StartedAt, LlmCostSource.Estimated, 0.0010m), candidates[0]);
        Assert.Equal(new ReconcileCandidate(none.Id, none.StartedAt, LlmCostSource.None, null), candidates[1]);
        Assert.Equal([estimatedEarly.Id, none.Id], limited.Select(c => c.Id));
    }

    [Fact]
    public async Task SetReconciledCostAsync_EstimatedRecord_MovesCostOnceAndRewritesTheRecord()
    {
        await using var temp = await TempStore.CreateAsync();
        var record = Estimated(cost: 0.0010m);
        var other = Records.Call(startedAt: T0, cost: 0.5m);
        await temp.Store.InsertAsync([record, other], CancellationToken.None);

        await temp.Store.SetReconciledCostAsync(record.Id, 0.0017m, CancellationToken.None);
        await temp.Store.SetReconciledCostAsync(record.Id, 99m, CancellationToken.None); // already reconciled: no-op

        var read = await temp.Store.GetCallAsync(record.Id, CancellationToken.None);
        Assert.Equal(
            LlmMeterJson.Serialize(record with { CostUsd = 0.0017m, CostSource = LlmCostSource.Reconciled }),
            LlmMeterJson.Serialize(read!));
        var total = Assert.Single(await temp.Store.QuerySpendAsync(new SpendQuery { From = T0, To = T0.AddHours(1) }, CancellationToken.None));
        Assert.Equal(0.5017m, total.CostUsd);
        Assert.Equal(2, total.Requests);
        Assert.Empty(await temp.Store.GetReconcileCandidatesAsync(T0, 10, CancellationToken.None));
        Assert.Equal(17_000_000, temp.Scalar($"SELECT cost_units FROM calls WHERE id = '{record.Id}'"));
    }

    [Fact]
    public async Task SetReconciledCostAsync_RecordWithoutCost_AddsItToTheRollupOfItsHour()
    {
        await using var temp = await TempStore.CreateAsync();
        var record = Records.Call(cost: null, startedAt: T0.AddMinutes(90), team: "ads");
        await temp.Store.InsertAsync([record, Records.Call(startedAt: T0, team: "ads", cost: 1m)], CancellationToken.None);

        await temp.Store.SetReconciledCostAsync(record.Id, 0.25m, CancellationToken.None);

        var rows = await temp.Store.QuerySpendAsync(
            new SpendQuery { From = T0, To = T0.AddHours(2), GroupBy = [SpendDimension.Hour], Team = "ads" }, CancellationToken.None);
        Assert.Equal([1m, 0.25m], rows.Select(r => r.CostUsd));
        Assert.Equal(LlmCostSource.Reconciled, (await temp.Store.GetCallAsync(record.Id, CancellationToken.None))!.CostSource);
    }

    [Fact]
    public async Task SetReconciledCostAsync_ConcurrentWithInsertsAndRepeated_AppliedOnce()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Enumerable.Range(0, 20).Select(i => Estimated(at: T0.AddMinutes(i), cost: 0.001m)).ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        var work = records.SelectMany(r => new[]
        {
            temp.Store.SetReconciledCostAsync(r.Id, 0.003m, CancellationToken.None),
            temp.Store.InsertAsync([Records.Call(startedAt: T0, cost: 0.01m)], CancellationToken.None),
            temp.Store.SetReconciledCostAsync(r.Id, 0.007m, CancellationToken.None),
        });
        await Task.WhenAll(work);

        var total = Assert.Single(await temp.Store.QuerySpendAsync(new SpendQuery { From = T0, To = T0.AddHours(1) }, CancellationToken.None));
        Assert.Equal((20 * 0.003m) + (20 * 0.01m), total.CostUsd);
        Assert.Equal(40, total.Requests);
    }

    [Fact]
    public async Task SetReconciledCostAsync_UnknownId_DoesNothing()
    {
        await using var temp = await TempStore.CreateAsync();
        await temp.Store.InsertAsync([Estimated()], CancellationToken.None);

        await temp.Store.SetReconciledCostAsync("gen-unknown", 1m, CancellationToken.None);

        var total = Assert.Single(await temp.Store.QuerySpendAsync(new SpendQuery { From = T0, To = T0.AddHours(1) }, CancellationToken.None));
        Assert.Equal(0.0010m, total.CostUsd);
    }

    [Fact]
    public async Task MarkReconcileFailedAsync_PendingRecord_NoLongerACandidateAndCostKept()
    {
        await using var temp = await TempStore.CreateAsync();
        var record = Estimated();
        await temp.Store.InsertAsync([record], CancellationToken.None);

        await temp.Store.MarkReconcileFailedAsync(record.Id, CancellationToken.None);

        Assert.Empty(await temp.Store.GetReconcileCandidatesAsync(T0.AddDays(-1), 10, CancellationToken.None));
        var read = await temp.Store.GetCallAsync(record.Id, CancellationToken.None);
        Assert.Equal(LlmCostSource.Estimated, read!.CostSource);
        Assert.Equal(0.0010m, read.CostUsd);
        Assert.Equal(3, temp.Scalar($"SELECT reconcile_state FROM calls WHERE id = '{record.Id}'"));
    }
}
