using Dapper;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmMeter.Collector.Tests.Store;

public sealed class SqliteCallStoreLifecycleTests
{
    [Fact]
    public async Task MigrateAsync_NewFile_CreatesSchemaInWalMode()
    {
        await using var temp = await TempStore.CreateAsync();

        using var connection = temp.Connect();
        var tables = connection.Query<string>("SELECT name FROM sqlite_master WHERE type = 'table'").ToArray();
        Assert.Contains("calls", tables);
        Assert.Contains("spend_hourly", tables);
        Assert.Contains("spend_daily", tables);
        Assert.Contains("schema_migrations", tables);
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        Assert.Equal(SqliteMigrator.All.Select(m => (long)m.Version), connection.Query<long>("SELECT version FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task MigrateAsync_SecondStart_AppliesNothing()
    {
        await using var temp = await TempStore.CreateAsync();
        var firstAppliedAt = temp.Scalar("SELECT MAX(applied_at_ms) FROM schema_migrations");
        await temp.Store.InsertAsync([Records.Call()], CancellationToken.None);
        temp.Clock.Advance(TimeSpan.FromDays(1));

        await temp.ReopenAsync();
        await temp.Store.MigrateAsync(CancellationToken.None); // and again on the same instance

        Assert.Equal(SqliteMigrator.All.Count, temp.Scalar("SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(firstAppliedAt, temp.Scalar("SELECT MAX(applied_at_ms) FROM schema_migrations"));
        Assert.Equal(temp.Clock.GetUtcNow().AddDays(-1).ToUnixTimeMilliseconds(), firstAppliedAt);
        Assert.Equal(1, temp.Scalar("SELECT COUNT(*) FROM calls"));
    }

    [Fact]
    public void Migrations_Embedded_OrderedFromVersionOne()
    {
        var versions = SqliteMigrator.All.Select(m => m.Version).ToArray();

        Assert.NotEmpty(versions);
        Assert.Equal(1, versions[0]);
        Assert.Equal(versions.Order(), versions);
        Assert.Equal("001_initial.sql", SqliteMigrator.All[0].Name);
    }

    [Fact]
    public async Task InsertAsync_StoreClosedAndReopened_DataSurvives()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Enumerable.Range(0, 20).Select(i => Records.Call(cost: 0.001m * i)).ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        await temp.ReopenAsync();

        var page = await temp.Store.QueryCallsAsync(new CallQuery { Limit = 100 }, CancellationToken.None);
        Assert.Equal(records.Select(r => r.Id).Order(StringComparer.Ordinal), page.Calls.Select(r => r.Id).Order(StringComparer.Ordinal));
        var total = Assert.Single(await temp.Store.QuerySpendAsync(SqliteCallStoreInsertTests.AllTime(), CancellationToken.None));
        Assert.Equal(records.Sum(r => r.CostUsd!.Value), total.CostUsd);
        var again = await temp.Store.InsertAsync(records, CancellationToken.None);
        Assert.Equal(20, again.Duplicates);
    }

    [Fact]
    public async Task DisposeAsync_RequestsStillQueued_AreWrittenBeforeItReturns()
    {
        await using var temp = await TempStore.CreateAsync();
        var inserts = Enumerable.Range(0, 50).Select(_ => temp.Store.InsertAsync([Records.Call(), Records.Call()], CancellationToken.None)).ToArray();

        await temp.Store.DisposeAsync();

        Assert.Equal(100, temp.Scalar("SELECT COUNT(*) FROM calls"));
        Assert.All(await Task.WhenAll(inserts), r => Assert.Equal(2, r.Accepted.Count));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => temp.Store.InsertAsync([Records.Call()], CancellationToken.None));
    }

    [Fact]
    public async Task AddCallStore_RelativePath_SingletonOnThatFileMigratedByHostedService()
    {
        var folder = CollectorHost.NewFolder();
        var file = Path.Combine(folder, "nested", "calls.db");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<CollectorOptions>().Configure(o => o.Store.SqlitePath = Path.GetRelativePath(Environment.CurrentDirectory, file));
        services.AddCallStore();
        try
        {
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<ICallStore>();
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(CancellationToken.None);
            }

            Assert.Same(store, provider.GetRequiredService<ICallStore>());
            Assert.Equal($"sqlite {file}", store.Description);
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            Assert.Equal(SqliteMigrator.All.Count, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_migrations"));
        }
        finally
        {
            DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task CollectorHost_Started_StoreMigratedBeforeListening()
    {
        await using var host = await CollectorHost.StartAsync();

        var store = host.Services.GetRequiredService<ICallStore>();
        var result = await store.InsertAsync([Records.Call()], CancellationToken.None);

        Assert.Single(result.Accepted);
        Assert.Equal($"sqlite {host.DatabasePath}", store.Description);
        using var connection = new SqliteConnection($"Data Source={host.DatabasePath};Pooling=False");
        connection.Open();
        Assert.Equal(SqliteMigrator.All.Count, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Store_ConstructedOnMissingFolder_CreatesIt()
    {
        var root = CollectorHost.NewFolder();
        var folder = Path.Combine(root, "a", "b");
        try
        {
            await using (var store = new SqliteCallStore(Path.Combine(folder, "x.db"), TimeProvider.System, NullLogger<SqliteCallStore>.Instance))
            {
                await store.MigrateAsync(CancellationToken.None);
            }

            Assert.True(File.Exists(Path.Combine(folder, "x.db")));
        }
        finally
        {
            DeleteFolder(root);
        }
    }

    private static void DeleteFolder(string folder)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }
}
