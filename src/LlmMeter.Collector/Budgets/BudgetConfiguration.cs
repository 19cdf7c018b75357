using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// Budgets from the <c>Budgets</c> configuration array, in the API's shape (<c>limit_usd</c>, <c>thresholds</c>, ...),
/// e.g. <c>LLMMETER_Budgets__0__limit_usd=100</c>. Configuration keys cannot contain ':', so a <c>model_map</c> source
/// model with one (<c>...:free</c>) can only be set through the API.
/// </summary>
internal static class BudgetConfiguration
{
    public const string Section = "Budgets";

    /// <summary>The configured budgets; throws <see cref="InvalidOperationException"/> naming the first bad setting.</summary>
    public static IReadOnlyList<BudgetDefinition> Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var budgets = new List<BudgetDefinition>();
        foreach (var child in Ordered(section))
        {
            var json = JsonSerializer.SerializeToElement(ToNode(child));
            if (!BudgetParser.TryParse(json, routeId: null, BudgetRepository.ConfigSource, lenient: true, out var budget, out var error))
            {
                throw new InvalidOperationException($"{child.Path}: {error!.Field} {error.Message}");
            }

            if (budgets.Any(b => b.Id == budget!.Id))
            {
                throw new InvalidOperationException($"{child.Path}: id '{budget!.Id}' is configured twice.");
            }

            budgets.Add(budget!);
        }

        return budgets;
    }

    // A section whose children are 0..n-1 is an array; a leaf is a string ("" counts as null, as JSON null becomes "").
    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return string.IsNullOrEmpty(section.Value) ? null : JsonValue.Create(section.Value);
        }

        if (IsArray(children))
        {
            var array = new JsonArray();
            foreach (var child in Ordered(section))
            {
                array.Add(ToNode(child));
            }

            return array;
        }

        var node = new JsonObject();
        foreach (var child in children)
        {
            node[child.Key] = ToNode(child);
        }

        return node;
    }

    private static IEnumerable<IConfigurationSection> Ordered(IConfigurationSection section) =>
        section.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue);

    private static bool IsArray(List<IConfigurationSection> children) =>
        children
            .Select(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1)
            .Order()
            .SequenceEqual(Enumerable.Range(0, children.Count));
}
