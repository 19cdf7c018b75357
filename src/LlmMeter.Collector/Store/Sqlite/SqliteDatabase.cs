using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// The SQLite file and how connections to it are opened: WAL so readers never block the writer,
/// <c>synchronous=FULL</c> so a commit is on disk when it returns, and a busy timeout for the rare lock waits.
/// </summary>
internal sealed class SqliteDatabase
{
    private const int BusyTimeoutMs = 10_000;

    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;

    public SqliteDatabase(string path)
    {
        FilePath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(FilePath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            DefaultTimeout = BusyTimeoutMs / 1000,
            Pooling = false, // the writer and the migrator hold their connection; closing must release the file
        };
        _writeConnectionString = builder.ToString();
        builder.Pooling = true; // readers open one per query
        builder.Mode = SqliteOpenMode.ReadWrite;
        _readConnectionString = builder.ToString();
    }

    public string FilePath { get; }

    /// <summary>A connection for writing (the single writer, migrations): WAL, synchronous=FULL.</summary>
    public SqliteConnection OpenWriteConnection()
    {
        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // journal_mode is stored in the file; synchronous and busy_timeout are per connection. Checkpoints run on
            // the writer: every 16,384 pages (64 MB of WAL) instead of 1,000, so hot index and rollup pages are
            // copied to the database once per checkpoint rather than many times (ingest: ~5 % faster).
            command.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout={BusyTimeoutMs}; "
                + "PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=16384;";
            var journalMode = command.ExecuteScalar() as string;
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite could not switch '{FilePath}' to WAL journal mode (got '{journalMode}'); is it on a network file system?");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A pooled connection for one query; WAL lets it read while the writer commits.</summary>
    public async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMs};";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the idle pooled read connections so the file is released.</summary>
    public void ClearReadPool()
    {
        using var connection = new SqliteConnection(_readConnectionString);
        SqliteConnection.ClearPool(connection);
    }
}
