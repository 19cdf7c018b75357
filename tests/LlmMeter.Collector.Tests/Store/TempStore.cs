using Dapper;
using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Collector.Tests.Store;

/// <summary>A <see cref="SqliteCallStore"/> on a real file in its own temp folder; reopen it on the same file.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    private TempStore(string folder)
    {
        Folder = folder;
        Store = Open();
    }

    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "data", "llmmeter.db");

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public SqliteCallStore Store { get; private set; }

    public static async Task<TempStore> CreateAsync()
    {
        var store = new TempStore(CollectorHost.NewFolder());
        await store.Store.MigrateAsync(CancellationToken.None);
        return store;
    }

    /// <summary>Closes the store and opens a new one on the same file (a restart).</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = Open();
        await Store.MigrateAsync(CancellationToken.None);
    }

    /// <summary>A plain connection for checking what is on disk.</summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public long Scalar(string sql)
    {
        using var connection = Connect();
        return connection.ExecuteScalar<long>(sql);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }

    private SqliteCallStore Open() => new(DatabasePath, Clock, NullLogger<SqliteCallStore>.Instance);
}
