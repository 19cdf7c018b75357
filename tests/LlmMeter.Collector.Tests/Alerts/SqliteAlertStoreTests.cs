using LlmMeter.Collector.Alerts;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Alerts;

public sealed class SqliteAlertStoreTests
{
    [Fact]
    public async Task DueAsync_EmptyOutbox_ReturnsNothingInsteadOfFailing()
    {
        // Regression: the worker's first pass on a fresh database threw, because Dapper could not map the
        // computed column of an empty result onto a positional record.
        await using var host = await CollectorHost.StartAsync();
        var store = host.Services.GetRequiredService<SqliteAlertStore>();

        var due = await store.DueAsync(nowMs: long.MaxValue, limit: 10, CancellationToken.None);

        Assert.Empty(due);
    }
}
