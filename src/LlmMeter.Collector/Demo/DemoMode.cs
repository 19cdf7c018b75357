using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace LlmMeter.Collector.Demo;

/// <summary>
/// <c>dotnet run --project src/LlmMeter.Collector -- --demo</c>: the collector plus demo traffic from the real handler
/// against a built-in OpenRouter simulator, on its own SQLite file so demo data never mixes with real data.
/// </summary>
internal static class DemoMode
{
    public const string Switch = "--demo";

    /// <summary>The demo's default store, used unless <c>Store:SqlitePath</c> is set in the environment or on the command line.</summary>
    public const string DefaultSqlitePath = "./data/llmmeter-demo.db";

    /// <summary><c>--demo</c> becomes <c>--Demo:Enabled=true</c>: a bare switch would take the next argument as its value.</summary>
    public static string[] TranslateSwitch(string[] args) =>
        [.. args.Select(a => string.Equals(a, Switch, StringComparison.OrdinalIgnoreCase) ? "--Demo:Enabled=true" : a)];

    /// <summary>
    /// When the demo is on: its defaults go under the user's environment and command line, the simulator starts (its
    /// address is needed in the configuration), its alert webhook is added to <c>Alerts:Webhooks</c>, and the traffic
    /// is registered. Returns null when the demo is off. Throws <see cref="InvalidOperationException"/> for a bad setting.
    /// </summary>
    public static DemoRuntime? Configure(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (!DemoOptions.IsEnabled(configuration))
        {
            return null;
        }

        var options = DemoOptions.Read(configuration);
        InsertBeforeUserSettings(configuration, new Dictionary<string, string?> { ["Store:SqlitePath"] = DefaultSqlitePath });

        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        // Started before the container exists, so on the system clock: it paces real sockets, not the collector's logic.
        // Kestrel starts in well under a second; there is no synchronization context in a console or test host.
        var simulator = OpenRouterSimulator.StartAsync(options.LatencyScale, secret, TimeProvider.System).GetAwaiter().GetResult();
        var webhook = string.Create(CultureInfo.InvariantCulture, $"Alerts:Webhooks:{configuration.GetSection("Alerts:Webhooks").GetChildren().Count()}:");
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [webhook + "Url"] = simulator.AlertWebhook.AbsoluteUri,
            [webhook + "Format"] = "json",
            [webhook + "Secret"] = secret,
        });

        var runtime = new DemoRuntime(options, simulator, DemoRuntime.NewRunId());
        // A factory registration, so the container stops the simulator when the app is disposed.
        builder.Services.AddSingleton(_ => runtime);
        builder.Services.AddHostedService<DemoTraffic>();
        return runtime;
    }

    // Above appsettings.json, below the LLMMETER_ environment variables and the command line (added after them).
    private static void InsertBeforeUserSettings(IConfigurationBuilder configuration, Dictionary<string, string?> values)
    {
        var sources = configuration.Sources;
        var index = sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource { Prefix: "LLMMETER_" });
        sources.Insert(index < 0 ? sources.Count : index, new MemoryConfigurationSource { InitialData = values });
    }
}
