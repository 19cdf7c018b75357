using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Tests.Policy;

public sealed class OverrideStoreTests
{
    [Fact]
    public async Task Restart_SameDatabaseFile_OverridesStillInForce()
    {
        var folder = CollectorHost.NewFolder();
        try
        {
            var block = AlertSamples.Labelled("c0ffee0000000001", true, ("alertname", "BatchHardStop"), ("app", "batch"), ("llmmeter_action", "block"));
            RoutingPolicy before;
            await using (var first = await CollectorHost.StartAsync(folder, [], null))
            {
                await PolicyApi.ReceiptAsync(first.Client(), PolicyApi.Alertmanager(AlertSamples.Alertmanager(block, AlertSamples.SpendBurnDowngrade()), CollectorHost.AdminKey));
                before = (await PolicyApi.PolicyAsync(first)).Policy;
            }

            await using var second = await CollectorHost.StartAsync(folder, [], null);
            var after = (await PolicyApi.PolicyAsync(second)).Policy;

            Assert.Equal(2, after.Overrides.Count);
            Assert.Equal(before.Overrides, after.Overrides);
            Assert.Equal(["alertmanager:5f0c2a9e1b7d3c44", "alertmanager:c0ffee0000000001"], after.Overrides.Select(o => o.Id));

            // Resolving after the restart still finds it.
            var receipt = await PolicyApi.ReceiptAsync(second.Client(), PolicyApi.Alertmanager(AlertSamples.Alertmanager(block with { Firing = false }), CollectorHost.AdminKey));
            Assert.Equal(["alertmanager:c0ffee0000000001"], PolicyApi.Strings(receipt, "removed"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Delete_ById_ClearsOverrideAndChangesPolicy()
    {
        await using var host = await CollectorHost.StartAsync();
        await PolicyApi.ReceiptAsync(host.Client(), PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade()), CollectorHost.AdminKey));
        var (_, etag) = await PolicyApi.PolicyAsync(host);

        using (var forbidden = await host.Client(CollectorHost.ReadKey).DeleteAsync("v1/overrides/alertmanager:5f0c2a9e1b7d3c44"))
        {
            await Api.Api.ProblemAsync(forbidden, HttpStatusCode.Forbidden);
        }

        using (var deleted = await host.Client().DeleteAsync("v1/overrides/alertmanager:5f0c2a9e1b7d3c44"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var (policy, newEtag) = await PolicyApi.PolicyAsync(host);
        Assert.Empty(policy.Overrides);
        Assert.NotEqual(etag, newEtag);
        Assert.Empty(await PolicyApi.OverridesAsync(host));

        using var missing = await host.Client().DeleteAsync("v1/overrides/alertmanager:5f0c2a9e1b7d3c44");
        await Api.Api.ProblemAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Post_SameFiringAlertTwice_OneOverrideAndSameETag()
    {
        await using var host = await CollectorHost.StartAsync();
        var body = AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade());
        await PolicyApi.ReceiptAsync(host.Client(), PolicyApi.Alertmanager(body, CollectorHost.AdminKey));
        var (_, etag) = await PolicyApi.PolicyAsync(host);

        // Alertmanager repeats a firing notification every repeat_interval.
        var again = await PolicyApi.ReceiptAsync(host.Client(), PolicyApi.Alertmanager(body, CollectorHost.AdminKey));

        Assert.Equal(["alertmanager:5f0c2a9e1b7d3c44"], PolicyApi.Strings(again, "applied"));
        Assert.Single(await PolicyApi.OverridesAsync(host));
        Assert.Equal(etag, (await PolicyApi.PolicyAsync(host)).ETag);
    }
}
