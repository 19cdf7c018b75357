using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>YAML files read as JSON trees (every scalar a string), so the tests walk them like the dashboards.</summary>
internal static class Yaml
{
    public static JsonElement Load(string path)
    {
        var graph = new DeserializerBuilder().Build().Deserialize<object?>(File.ReadAllText(path));
        Assert.True(graph is not null, $"{path} is empty.");
        return JsonSerializer.SerializeToElement(ToNode(graph));
    }

    public static string Text(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    public static IEnumerable<JsonElement> Items(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(p => KeyValuePair.Create(Convert.ToString(p.Key, CultureInfo.InvariantCulture)!, ToNode(p.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(ToNode)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
