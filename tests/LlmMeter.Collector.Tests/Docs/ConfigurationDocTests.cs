using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Demo;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Tests.Docs;

/// <summary>Every key in docs/configuration.md exists, and every default written in backticks is the code's.</summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly Dictionary<string, Type> LibraryTypes = new(StringComparer.Ordinal)
    {
        ["LlmMeterOptions"] = typeof(LlmMeterOptions),
        ["LlmMeterCollectorOptions"] = typeof(LlmMeterCollectorOptions),
        ["LlmMeterPolicyOptions"] = typeof(LlmMeterPolicyOptions),
    };

    [Fact]
    public void LibraryOptions_DocumentedDefaults_MatchTheCode()
    {
        var rows = Rows().Where(r => r.Section is not null).ToList();
        Assert.Equal(LibraryTypes.Keys.Order(), rows.Select(r => r.Section!).Distinct().Order());
        foreach (var type in LibraryTypes.Values)
        {
            var documented = rows.Where(r => r.Section == type.Name).Select(r => r.Key).ToHashSet();
            var missing = type.GetProperties().Select(p => p.Name).Where(n => !documented.Contains(n)).ToList();
            Assert.True(missing.Count == 0, $"{type.Name} options not documented: {string.Join(", ", missing)}");
        }

        foreach (var row in rows)
        {
            var type = LibraryTypes[row.Section!];
            Assert.True(Property(type, row.Key) is not null, $"{row.Section}.{row.Key} does not exist");
            if (row.Default is { } value)
            {
                AssertDefault(type, row.Key, value, $"{row.Section}.{row.Key}");
            }
        }
    }

    [Fact]
    public void CollectorSettings_DocumentedKeys_ExistAndDefaultsMatchTheCode()
    {
        var rows = Rows().Where(r => r.Section is null).ToList();
        Assert.True(rows.Count >= 40, $"expected the collector settings, found {rows.Count}");
        foreach (var row in rows)
        {
            var key = row.Key.Replace("{n}", "0", StringComparison.Ordinal).Replace("{m}", "0", StringComparison.Ordinal);
            var top = key.Split(':')[0];
            switch (top)
            {
                case "urls":
                    Assert.Equal(CollectorApp.DefaultUrl, row.Default);
                    break;
                case "Demo":
                    AssertDemoDefault(key, row.Default);
                    break;
                case "Budgets":
                    AssertBudgetField(key.Split(':')[2..]);
                    break;
                default:
                    Assert.True(Property(typeof(CollectorOptions), key) is not null, $"{row.Key} is not a collector setting");
                    if (row.Default is { } value)
                    {
                        AssertDefault(typeof(CollectorOptions), key, value, row.Key);
                    }

                    break;
            }
        }
    }

    [Fact]
    public async Task CollectorSettings_AllDocumentedDefaultsOnTheCommandLine_StartAndBindToTheDefaults()
    {
        var args = Rows()
            .Where(r => r.Section is null && r.Default is not null && !r.Key.Contains('{', StringComparison.Ordinal)
                && r.Key is not ("urls" or "Store:SqlitePath") && !r.Key.StartsWith("Demo:", StringComparison.Ordinal))
            .Select(r => $"--{r.Key}={r.Default}")
            .ToArray();
        Assert.Contains("--Reconciliation:Interval=00:00:30", args);

        await using var host = await CollectorHost.StartAsync(args);
        var bound = host.Services.GetRequiredService<IOptions<CollectorOptions>>().Value;
        var fresh = new CollectorOptions();
        foreach (var arg in args)
        {
            var key = arg[2..arg.IndexOf('=', StringComparison.Ordinal)];
            Assert.Equal(Value(fresh, key), Value(bound, key));
        }

        using var client = host.Client();
        Assert.True((await client.GetAsync(new Uri("v1/spend", UriKind.Relative))).IsSuccessStatusCode);
    }

    private static void AssertDefault(Type type, string key, string documented, string shown)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = documented }).Build();
        var bound = Activator.CreateInstance(type)!;
        configuration.Bind(bound);
        var fresh = Activator.CreateInstance(type)!;
        Assert.True(Equals(Value(fresh, key), Value(bound, key)), $"{shown}: documented default '{documented}' is not the code's '{Value(fresh, key)}'");
    }

    private static void AssertDemoDefault(string key, string? documented)
    {
        var name = key.Split(':')[1];
        if (name == "Enabled")
        {
            Assert.False(DemoOptions.IsEnabled(new ConfigurationBuilder().Build()));
            Assert.Equal("false", documented);
            return;
        }

        Assert.True(typeof(DemoOptions).GetProperty(name) is not null, $"{key} is not a demo setting");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = documented }).Build();
        var property = typeof(DemoOptions).GetProperty(name)!;
        Assert.Equal(property.GetValue(new DemoOptions()), property.GetValue(DemoOptions.Read(configuration)));
    }

    // Budgets are configured in the API's snake_case shape: scope:app -> BudgetDefinition.Scope.App.
    private static void AssertBudgetField(string[] path)
    {
        var type = typeof(BudgetDefinition);
        foreach (var segment in path)
        {
            if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _) || segment == "{model}")
            {
                continue;
            }

            var property = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, segment.Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
            Assert.True(property is not null, $"Budgets:…:{segment} is not a budget field");
            type = ElementType(property.PropertyType);
        }
    }

    private static PropertyInfo? Property(Type type, string key)
    {
        PropertyInfo? property = null;
        foreach (var segment in key.Split(':'))
        {
            if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            property = type.GetProperty(segment);
            if (property is null)
            {
                return null;
            }

            type = ElementType(property.PropertyType);
        }

        return property;
    }

    // Walks the path; a list item that is absent is a fresh element (its defaults).
    private static object? Value(object root, string key)
    {
        object? current = root;
        foreach (var segment in key.Split(':'))
        {
            if (current is IList list && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                current = index < list.Count ? list[index] : Activator.CreateInstance(ElementType(list.GetType()));
                continue;
            }

            current = current?.GetType().GetProperty(segment)!.GetValue(current);
        }

        return current;
    }

    private static Type ElementType(Type type) =>
        type == typeof(string) ? type
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[^1]
        : Nullable.GetUnderlyingType(type) ?? type;

    // Rows of the tables: library tables sit under "### `TypeName`"; everything under "## Collector" is a collector setting.
    private static IEnumerable<(string? Section, string Key, string? Default)> Rows()
    {
        string? section = null;
        var collector = false;
        foreach (var line in DocFiles.Read("docs/configuration.md").Split('\n'))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                collector = line.Trim() == "## Collector";
                section = null;
            }
            else if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                section = collector ? null : line[4..].Trim().Trim('`');
            }
            else if (Row().Match(line) is { Success: true } row)
            {
                var value = row.Groups["default"].Success ? row.Groups["default"].Value : null;
                yield return (section, row.Groups["key"].Value, value);
            }
        }
    }

    [GeneratedRegex(@"^\| `(?<key>[^`]+)` \| (?:`(?<default>[^`]*)`)?[^|]*\|")]
    private static partial Regex Row();
}
