using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// Applies the embedded <c>Migrations/NNN_name.sql</c> scripts in version order, each in its own transaction
/// together with its <c>schema_migrations</c> row, so a restart applies only what is missing.
/// </summary>
internal static class SqliteMigrator
{
    private const string ResourcePrefix = "LlmMeter.Collector.Store.Sqlite.Migrations.";

    // What SQL cannot do, run after its version's script in the same transaction.
    private static readonly Dictionary<int, Action<SqliteConnection, SqliteTransaction>> CodeSteps = new()
    {
        [5] = SqliteRollupRebuild.Run, // 005_exact_sums: the rollups again from the calls, summed exactly
    };

    /// <summary>The embedded migrations, ordered by version.</summary>
    public static IReadOnlyList<Migration> All { get; } = Load();

    /// <summary>Applies the missing migrations; returns the versions applied.</summary>
    public static IReadOnlyList<int> Migrate(SqliteConnection connection, TimeProvider timeProvider)
    {
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at_ms INTEGER NOT NULL);");
        var applied = new List<int>();
        foreach (var migration in All)
        {
            // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once cannot both apply it.
            using var transaction = connection.BeginTransaction(deferred: false);
            var done = connection.ExecuteScalar<long>(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version", new { migration.Version }, transaction);
            if (done > 0)
            {
                continue;
            }

            try
            {
                connection.Execute(migration.Sql, transaction: transaction);
                if (CodeSteps.TryGetValue(migration.Version, out var step))
                {
                    step(connection, transaction);
                }
            }
            catch (SqliteException ex)
            {
                throw new InvalidOperationException($"Migration {migration.Name} failed: {ex.Message}", ex);
            }

            connection.Execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (@Version, @AppliedAtMs)",
                new { migration.Version, AppliedAtMs = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() },
                transaction);
            transaction.Commit();
            applied.Add(migration.Version);
        }

        return applied;
    }

    private static Migration[] Load()
    {
        var assembly = typeof(SqliteMigrator).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => Read(assembly, name))
            .OrderBy(m => m.Version)
            .ToArray();
        if (migrations.Length == 0)
        {
            throw new InvalidOperationException("No embedded SQLite migrations were found.");
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two SQLite migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }

        return migrations;
    }

    private static Migration Read(Assembly assembly, string resource)
    {
        var name = resource[ResourcePrefix.Length..];
        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version <= 0)
        {
            throw new InvalidOperationException($"SQLite migration '{name}' must be named NNN_description.sql with NNN > 0.");
        }

        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, name, reader.ReadToEnd());
    }
}

/// <summary>One versioned schema change.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
