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

    public string DatabasePath => PathIn(Folder);

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public SqliteCallStore Store { get; private set; }

    /// <param name="seed">Writes the file before the store opens (and migrates) it, e.g. an old schema and its data.</param>
    public static async Task<TempStore> CreateAsync(Action<SqliteConnection>? seed = null)
    {
        var folder = CollectorHost.NewFolder();
        if (seed is not null)
        {
            var path = PathIn(folder);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            connection.Open();
            seed(connection);
        }

        var store = new TempStore(folder);
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

    private static string PathIn(string folder) => Path.Combine(folder, "data", "llmmeter.db");

    private SqliteCallStore Open() => new(DatabasePath, Clock, NullLogger<SqliteCallStore>.Instance);
}
