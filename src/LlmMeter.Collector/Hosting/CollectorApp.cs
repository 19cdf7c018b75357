using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LlmMeter.Collector.Alerts;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Demo;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Metrics;
using LlmMeter.Collector.Policy;
using LlmMeter.Collector.Query;
using LlmMeter.Collector.Reconciliation;
using LlmMeter.Collector.Status;
using LlmMeter.Collector.Store;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Hosting;

/// <summary>Builds the collector's web application; <c>Program</c> and the tests both start it through here.</summary>
internal static class CollectorApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Builds the app from command-line arguments (and appsettings, <c>LLMMETER_</c> environment variables).</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls http://127.0.0.1:0 --Store:SqlitePath=/tmp/x.db</c>; <c>--demo</c> adds demo traffic.</param>
    /// <param name="configureServices">Test hook run after the collector's own registrations (e.g. a fake clock).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        args = DemoMode.TranslateSwitch(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // Environment variables with our prefix win over appsettings; the command line still wins over them.
        builder.Configuration.AddEnvironmentVariables("LLMMETER_");
        builder.Configuration.AddCommandLine(args);
        DemoMode.Configure(builder);

        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = DefaultUrl;
            builder.WebHost.UseUrls(urls);
        }

        builder.Services.AddOptions<CollectorOptions>()
            .Bind(builder.Configuration)
            .PostConfigure(options => options.Reconciliation.OpenRouterApiKey ??= builder.Configuration["OPENROUTER_API_KEY"])
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json => ConfigureJson(json.SerializerOptions));

        builder.Services.AddCallStore();
        builder.Services.AddBudgets(builder.Configuration);
        builder.Services.AddCollectorMetrics();
        builder.Services.AddReconciliation();
        builder.Services.AddAlerts();
        builder.Services.AddRoutingPolicy();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        RefuseOpenListenersWithoutKeys(app, urls);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapIngestEndpoints();
        app.MapQueryEndpoints();
        app.MapBudgetEndpoints();
        app.MapCollectorMetrics();
        app.MapAlertEndpoints();
        app.MapRoutingPolicy();
        app.MapStatusPage();
        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app));
        return app;
    }

    /// <summary>snake_case everywhere, enums as snake_case strings, nulls omitted; records in their wire format.</summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.TypeInfoResolverChain.Insert(0, LlmMeterJsonContext.Default);
        if (!options.TypeInfoResolverChain.OfType<DefaultJsonTypeInfoResolver>().Any())
        {
            options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        }
    }

    // Without keys anyone who can reach the port can read spend and write records: only loopback then.
    private static void RefuseOpenListenersWithoutKeys(WebApplication app, string urls)
    {
        var options = app.Services.GetRequiredService<IOptions<CollectorOptions>>().Value;
        if (options.Keys.AnyConfigured)
        {
            return;
        }

        var configured = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(app.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        foreach (var url in configured)
        {
            if (!IsLoopback(url))
            {
                throw new InvalidOperationException(
                    $"No keys are configured (Keys:Ingest, Keys:Read, Keys:Admin), so the collector only listens on loopback, but '{url}' is not a loopback address. "
                    + "Configure keys (e.g. LLMMETER_Keys__Admin) or listen on 127.0.0.1.");
            }
        }
    }

    private static bool IsLoopback(string url)
    {
        // "http://+:80" and "http://*:80" are not valid Uri hosts: they mean every interface.
        var host = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        host = host.Split('/')[0];
        host = host.StartsWith('[') ? host[..(host.IndexOf(']', StringComparison.Ordinal) + 1)] : host.Split(':')[0];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }

    private static void LogStarted(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmMeter.Collector");
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var store = app.Services.GetRequiredService<ICallStore>();
        foreach (var address in addresses)
        {
            logger.LogInformation("LlmMeter collector listening: status page {Status}/, API {Api}/v1, metrics {Metrics}/metrics, store {Store}", address, address, address, store.Description);
        }
    }
}
