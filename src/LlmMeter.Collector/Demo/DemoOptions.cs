using System.Globalization;

namespace LlmMeter.Collector.Demo;

/// <summary>
/// The <c>Demo</c> section, read once at start when the demo is on (<c>--demo</c> or <c>Demo:Enabled=true</c>), e.g.
/// <c>--Demo:CallsPerSecond=50 --Demo:BudgetUsd=0.02 --Demo:LatencyScale=0.1</c> to run it fast in tests.
/// </summary>
internal sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Calls the demo application makes per second (0.1 to 500). Default 3.</summary>
    public double CallsPerSecond { get; init; } = 3;

    /// <summary>
    /// The demo search budget's daily limit in USD. At the default rate the default $0.75 crosses 50 % after about a
    /// minute, 80 % (downgrade) after about two and 100 % (block) after three to four.
    /// </summary>
    public decimal BudgetUsd { get; init; } = 0.75m;

    /// <summary>Multiplies every delay of the simulator (time to first token, chunk pacing, latency); 0 to 10. Default 1.</summary>
    public double LatencyScale { get; init; } = 1;

    /// <summary>The application name on the demo's records. Default <c>demo-shop</c>.</summary>
    public string App { get; init; } = "demo-shop";

    /// <summary>Whether the demo is on: <c>Demo:Enabled</c> is <c>true</c>; throws naming the setting for anything but true or false.</summary>
    public static bool IsEnabled(IConfiguration configuration)
    {
        var text = configuration[Section + ":Enabled"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        return bool.TryParse(text.Trim(), out var enabled)
            ? enabled
            : throw new InvalidOperationException($"Demo:Enabled must be true or false (got '{text}').");
    }

    /// <summary>Reads and checks the section; throws <see cref="InvalidOperationException"/> naming every bad setting.</summary>
    public static DemoOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var errors = new List<string>();
        var defaults = new DemoOptions();
        var options = new DemoOptions
        {
            CallsPerSecond = Number(section, nameof(CallsPerSecond), defaults.CallsPerSecond, 0.1, 500, errors),
            BudgetUsd = (decimal)Number(section, nameof(BudgetUsd), (double)defaults.BudgetUsd, 0.0001, 1000, errors),
            LatencyScale = Number(section, nameof(LatencyScale), defaults.LatencyScale, 0, 10, errors),
            App = section[nameof(App)] is { Length: > 0 } app ? app.Trim() : defaults.App,
        };
        if (options.App.Length is 0 or > 128)
        {
            errors.Add("Demo:App must be 1 to 128 characters.");
        }

        return errors.Count == 0 ? options : throw new InvalidOperationException(string.Join(" ", errors));
    }

    private static double Number(IConfigurationSection section, string name, double fallback, double min, double max, List<string> errors)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add(string.Create(CultureInfo.InvariantCulture, $"Demo:{name} must be a number from {min} to {max} (got '{text}')."));
        return fallback;
    }
}
