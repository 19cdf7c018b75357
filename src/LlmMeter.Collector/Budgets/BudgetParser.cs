using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Budgets;

/// <summary>A budget field that failed validation, named as in the JSON (<c>thresholds[1].model_map</c>).</summary>
internal sealed record BudgetFieldError(string Field, string Message);

/// <summary>
/// Reads and validates a budget in its JSON shape (snake_case). The API and the configuration share it; configuration
/// values arrive as strings, so <see cref="Parse"/> accepts numbers written as strings when asked to.
/// </summary>
internal static partial class BudgetParser
{
    public const decimal MaxLimitUsd = 1_000_000m;
    public const double MaxPercent = 1000;
    public const int MaxNameLength = 200;

    private static readonly string[] s_readOnlyFields = ["source", "status"];

    /// <summary>Parses a budget; on failure <paramref name="error"/> names the first bad field.</summary>
    /// <param name="json">The budget object.</param>
    /// <param name="routeId">The id from the URL (PUT), which the body's id must equal when given; null for POST.</param>
    /// <param name="source"><c>api</c> or <c>config</c>.</param>
    /// <param name="lenient">Configuration mode: property names ignore case and numbers may be strings.</param>
    /// <param name="budget">The budget, thresholds sorted by percent.</param>
    /// <param name="error">What is wrong.</param>
    public static bool TryParse(JsonElement json, string? routeId, string source, bool lenient, out BudgetDefinition? budget, out BudgetFieldError? error)
    {
        try
        {
            budget = new Reader(lenient).Budget(json, routeId, source);
            error = null;
            return true;
        }
        catch (BudgetFormatException ex)
        {
            budget = null;
            error = new BudgetFieldError(ex.Field, ex.Message);
            return false;
        }
    }

    /// <summary>Whether <paramref name="id"/> is a valid budget id (<c>[a-z0-9._-]{1,64}</c>).</summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[a-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    private sealed class Reader(bool lenient)
    {
        private readonly StringComparison _names = lenient ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

        public BudgetDefinition Budget(JsonElement json, string? routeId, string source)
        {
            Expect(json, JsonValueKind.Object, string.Empty, "The budget must be a JSON object.");
            var fields = Fields(json, string.Empty, ["id", "name", "scope", "period", "timezone", "limit_usd", "thresholds", .. s_readOnlyFields]);

            var id = OptionalString(fields, "id", "id");
            if (routeId is not null && id is not null && id != routeId)
            {
                throw new BudgetFormatException("id", $"is '{id}' but the URL names '{routeId}'.");
            }

            id ??= routeId ?? throw new BudgetFormatException("id", "is required.");
            if (!IsValidId(id))
            {
                throw new BudgetFormatException("id", "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'.");
            }

            var name = OptionalString(fields, "name", "name")?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
            {
                throw new BudgetFormatException("name", $"is required: 1 to {MaxNameLength} characters.");
            }

            var timezone = OptionalString(fields, "timezone", "timezone");
            if (!BudgetPeriod.TryFindZone(timezone, out _))
            {
                throw new BudgetFormatException("timezone", $"'{timezone}' is not a known IANA time zone (e.g. Europe/Berlin, UTC).");
            }

            return new BudgetDefinition
            {
                Id = id,
                Name = name,
                Scope = Scope(fields.GetValueOrDefault("scope")),
                Period = Period(OptionalString(fields, "period", "period")),
                Timezone = string.IsNullOrWhiteSpace(timezone) ? null : timezone,
                LimitUsd = Limit(fields.GetValueOrDefault("limit_usd")),
                Thresholds = Thresholds(fields.GetValueOrDefault("thresholds")),
                Source = source,
            };
        }

        private PolicyScope Scope(JsonElement? json)
        {
            if (json is not { } scope || IsNull(scope))
            {
                return new PolicyScope();
            }

            Expect(scope, JsonValueKind.Object, "scope", "must be an object with any of app, team, tag, model, provider.");
            var fields = Fields(scope, "scope.", ["app", "team", "tag", "model", "provider"]);
            string? Member(string name)
            {
                var value = OptionalString(fields, name, "scope." + name);
                if (value is not null && string.IsNullOrWhiteSpace(value))
                {
                    throw new BudgetFormatException("scope." + name, "must not be empty: leave it out (or null) to match any.");
                }

                return value?.Trim();
            }

            var tag = Member("tag");
            if (tag is not null && (tag.IndexOf('=', StringComparison.Ordinal) is var eq && (eq <= 0 || eq == tag.Length - 1)))
            {
                throw new BudgetFormatException("scope.tag", $"must be key=value (got '{tag}').");
            }

            return new PolicyScope { App = Member("app"), Team = Member("team"), Tag = tag, Model = Member("model"), Provider = Member("provider") };
        }

        private static BudgetPeriodKind Period(string? text) => text switch
        {
            null => BudgetPeriodKind.Month,
            "day" => BudgetPeriodKind.Day,
            "week" => BudgetPeriodKind.Week,
            "month" => BudgetPeriodKind.Month,
            _ => throw new BudgetFormatException("period", $"must be day, week or month (got '{text}')."),
        };

        private decimal Limit(JsonElement? json)
        {
            if (json is not { } value || IsNull(value))
            {
                throw new BudgetFormatException("limit_usd", "is required.");
            }

            if (!TryDecimal(value, out var limit))
            {
                throw new BudgetFormatException("limit_usd", "must be a number.");
            }

            if (limit <= 0m || limit > MaxLimitUsd)
            {
                throw new BudgetFormatException("limit_usd", $"must be more than 0 and at most {MaxLimitUsd.ToString(CultureInfo.InvariantCulture)} (got {limit.ToString(CultureInfo.InvariantCulture)}).");
            }

            return limit;
        }

        private List<PolicyThreshold> Thresholds(JsonElement? json)
        {
            var thresholds = new List<PolicyThreshold>();
            if (json is not { } array || IsNull(array) || (lenient && array.ValueKind == JsonValueKind.String && array.GetString()!.Length == 0))
            {
                return thresholds;
            }

            Expect(array, JsonValueKind.Array, "thresholds", "must be an array of {percent, action}.");
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                var threshold = Threshold(item, $"thresholds[{index}]");
                var same = thresholds.FindIndex(t => t.Percent == threshold.Percent);
                if (same >= 0)
                {
                    throw new BudgetFormatException($"thresholds[{index}].percent", $"{threshold.Percent.ToString(CultureInfo.InvariantCulture)} is already thresholds[{same}].");
                }

                thresholds.Add(threshold);
                index++;
            }

            thresholds.Sort((a, b) => a.Percent.CompareTo(b.Percent));
            return thresholds;
        }

        private PolicyThreshold Threshold(JsonElement json, string at)
        {
            Expect(json, JsonValueKind.Object, at, "must be an object {percent, action}.");
            var fields = Fields(json, at + ".", ["percent", "action", "model_map", "free_model"]);
            if (!fields.TryGetValue("percent", out var percentJson) || !TryDecimal(percentJson, out var percentDecimal))
            {
                throw new BudgetFormatException(at + ".percent", "is required: a number.");
            }

            var percent = (double)percentDecimal;
            if (percent is <= 0 or > MaxPercent)
            {
                throw new BudgetFormatException(at + ".percent", $"must be more than 0 and at most {MaxPercent.ToString(CultureInfo.InvariantCulture)}.");
            }

            var action = OptionalString(fields, "action", at + ".action") switch
            {
                "alert" => RoutingAction.Alert,
                "downgrade" => RoutingAction.Downgrade,
                "route_free" => RoutingAction.RouteFree,
                "block" => RoutingAction.Block,
                var other => throw new BudgetFormatException(at + ".action", $"must be alert, downgrade, route_free or block (got '{other}')."),
            };
            var map = ModelMap(fields.GetValueOrDefault("model_map"), at + ".model_map");
            var freeModel = OptionalString(fields, "free_model", at + ".free_model");
            switch (action)
            {
                case RoutingAction.Downgrade when map is null || map.Count == 0:
                    throw new BudgetFormatException(at + ".model_map", "is required for downgrade: a non-empty map of model id or glob to the cheaper model ('*' for any).");
                case RoutingAction.RouteFree when string.IsNullOrWhiteSpace(freeModel):
                    throw new BudgetFormatException(at + ".free_model", "is required for route_free: the free model to use.");
                case not RoutingAction.Downgrade when map is not null:
                    throw new BudgetFormatException(at + ".model_map", "only applies to downgrade.");
                case not RoutingAction.RouteFree when freeModel is not null:
                    throw new BudgetFormatException(at + ".free_model", "only applies to route_free.");
            }

            return new PolicyThreshold { Percent = percent, Action = action, ModelMap = map, FreeModel = freeModel?.Trim() };
        }

        private Dictionary<string, string>? ModelMap(JsonElement? json, string at)
        {
            if (json is not { } map || IsNull(map))
            {
                return null;
            }

            Expect(map, JsonValueKind.Object, at, "must be an object of model id or glob to model id.");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(entry.Value.GetString()) || string.IsNullOrWhiteSpace(entry.Name))
                {
                    throw new BudgetFormatException(at, $"entry '{entry.Name}' must map a model id or glob to a model id.");
                }

                result[entry.Name.Trim()] = entry.Value.GetString()!.Trim();
            }

            return result;
        }

        private Dictionary<string, JsonElement> Fields(JsonElement json, string prefix, string[] known)
        {
            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in json.EnumerateObject())
            {
                var name = Array.Find(known, k => string.Equals(k, property.Name, _names))
                    ?? throw new BudgetFormatException(prefix + property.Name, $"is not a budget field (expected {string.Join(", ", known.Except(s_readOnlyFields))}).");
                fields[name] = property.Value;
            }

            return fields;
        }

        private static string? OptionalString(Dictionary<string, JsonElement> fields, string name, string field)
        {
            if (!fields.TryGetValue(name, out var value) || IsNull(value))
            {
                return null;
            }

            return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new BudgetFormatException(field, "must be a string.");
        }

        private bool TryDecimal(JsonElement json, out decimal value)
        {
            value = 0;
            return json.ValueKind switch
            {
                JsonValueKind.Number => json.TryGetDecimal(out value),
                JsonValueKind.String when lenient => decimal.TryParse(json.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
                _ => false,
            };
        }

        private static bool IsNull(JsonElement json) => json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

        private static void Expect(JsonElement json, JsonValueKind kind, string field, string message)
        {
            if (json.ValueKind != kind)
            {
                throw new BudgetFormatException(field, message);
            }
        }
    }

    private sealed class BudgetFormatException(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }
}
