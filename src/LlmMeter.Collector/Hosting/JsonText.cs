using System.Globalization;
using System.Text.Json;

namespace LlmMeter.Collector.Hosting;

/// <summary>
/// <see cref="JsonDocument"/> accepts strings that cannot become .NET strings (invalid UTF-8 bytes, a lone
/// surrogate escape such as <c>\ud800</c>); reading one later throws <see cref="InvalidOperationException"/>, which
/// would surface as a 500. The body endpoints check the whole document once, up front, and refuse it with a 400
/// naming where the bad text is.
/// </summary>
internal static class JsonText
{
    /// <summary>Null when every string and property name decodes; else the path of the first that does not (<c>thresholds[0].action</c>, empty for the root) and why.</summary>
    public static (string Path, string Message)? FindUndecodable(JsonElement root) => Find(root, string.Empty);

    private static (string Path, string Message)? Find(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                    return null;
                }
                catch (InvalidOperationException ex)
                {
                    return (path, Describe(ex));
                }

            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException ex)
                    {
                        return (path, "has a property name that " + Describe(ex));
                    }

                    if (Find(property.Value, path.Length == 0 ? name : path + "." + name) is { } found)
                    {
                        return found;
                    }
                }

                return null;

            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]")) is { } found)
                    {
                        return found;
                    }
                }

                return null;

            default:
                return null;
        }
    }

    private static string Describe(InvalidOperationException ex) =>
        $"is not valid text (invalid UTF-8, or an escaped surrogate without its pair): {ex.Message}";
}
