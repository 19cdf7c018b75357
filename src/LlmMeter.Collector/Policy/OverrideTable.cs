using Dapper;
using Microsoft.Data.Sqlite;
using PolicyOverride = LlmMeter.Policy.PolicyOverride;
using PolicyScope = LlmMeter.Policy.PolicyScope;
using RoutingAction = LlmMeter.Policy.RoutingAction;

namespace LlmMeter.Collector.Policy;

/// <summary>The SQL of the <c>routing_overrides</c> table (migration 004).</summary>
internal static class OverrideTable
{
    public static List<StoredOverride> ReadAll(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, source, name, action, scope_app, scope_team, scope_model, downgrade_to, free_model, created_at_ms, updated_at_ms
            FROM routing_overrides ORDER BY id
            """;
        using var reader = command.ExecuteReader();
        var all = new List<StoredOverride>();
        while (reader.Read())
        {
            if (!ActionNames.TryParse(reader.GetString(3), out var action))
            {
                continue; // Written by a newer version: leave it alone rather than guess.
            }

            var entry = new PolicyOverride
            {
                Id = reader.GetString(0),
                Name = Text(reader, 2),
                Action = action,
                Scope = new PolicyScope { App = Text(reader, 4), Team = Text(reader, 5), Model = Text(reader, 6) },
                DowngradeTo = Text(reader, 7),
                FreeModel = Text(reader, 8),
            };
            all.Add(new StoredOverride(
                entry,
                reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10))));
        }

        return all;
    }

    /// <summary>Upserts (value) or deletes (null) each entry, all in one transaction.</summary>
    public static void Write(SqliteConnection connection, IReadOnlyDictionary<string, StoredOverride?> writes)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var (id, stored) in writes)
        {
            if (stored is null)
            {
                connection.Execute("DELETE FROM routing_overrides WHERE id = @Id", new { Id = id }, transaction);
                continue;
            }

            var entry = stored.Override;
            connection.Execute(
                """
                INSERT INTO routing_overrides (id, source, name, action, scope_app, scope_team, scope_model, downgrade_to, free_model, created_at_ms, updated_at_ms)
                VALUES (@Id, @Source, @Name, @Action, @App, @Team, @Model, @DowngradeTo, @FreeModel, @CreatedAtMs, @UpdatedAtMs)
                ON CONFLICT (id) DO UPDATE SET source = excluded.source, name = excluded.name, action = excluded.action,
                    scope_app = excluded.scope_app, scope_team = excluded.scope_team, scope_model = excluded.scope_model,
                    downgrade_to = excluded.downgrade_to, free_model = excluded.free_model, updated_at_ms = excluded.updated_at_ms
                """,
                new
                {
                    entry.Id,
                    stored.Source,
                    entry.Name,
                    Action = ActionNames.ToWire(entry.Action),
                    entry.Scope.App,
                    entry.Scope.Team,
                    entry.Scope.Model,
                    entry.DowngradeTo,
                    entry.FreeModel,
                    CreatedAtMs = stored.CreatedAt.ToUnixTimeMilliseconds(),
                    UpdatedAtMs = stored.UpdatedAt.ToUnixTimeMilliseconds(),
                },
                transaction);
        }

        transaction.Commit();
    }

    private static string? Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

/// <summary>The wire names of <see cref="RoutingAction"/> (as in the policy JSON and alert labels).</summary>
internal static class ActionNames
{
    public static string ToWire(RoutingAction action) => action switch
    {
        RoutingAction.Downgrade => "downgrade",
        RoutingAction.RouteFree => "route_free",
        RoutingAction.Block => "block",
        _ => "alert",
    };

    /// <summary>The routing actions only (<c>alert</c> is not one an override can take).</summary>
    public static bool TryParse(string? text, out RoutingAction action)
    {
        switch (text?.Trim())
        {
            case "downgrade":
                action = RoutingAction.Downgrade;
                return true;
            case "route_free":
                action = RoutingAction.RouteFree;
                return true;
            case "block":
                action = RoutingAction.Block;
                return true;
            default:
                action = RoutingAction.Alert;
                return false;
        }
    }
}
