using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmMeter.Collector.Hosting;
using LlmMeter.Policy;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Demo;

/// <summary>
/// The demo application: once the collector listens, it creates the demo budgets through <c>/v1/budgets</c>, then
/// calls the simulator at <see cref="DemoOptions.CallsPerSecond"/> through the real <see cref="LlmMeterHandler"/>,
/// whose <see cref="LlmMeterPolicy"/> polls this collector and whose <see cref="LlmMeterCollectorSink"/> ships the
/// records to it, exactly as a user's application would. At shutdown it stops calling and lets the calls in flight
/// finish and their records reach the collector before the server stops listening (<see cref="StoppingAsync"/>).
/// </summary>
internal sealed class DemoTraffic(
    DemoRuntime demo,
    IServer server,
    IHostApplicationLifetime lifetime,
    IOptions<CollectorOptions> options,
    TimeProvider time,
    ILogger<DemoTraffic> logger) : BackgroundService, IHostedLifecycleService
{
    private const int MaxInFlight = 256;
    private static readonly TimeSpan s_drainTime = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _generation = new();
    private readonly CancellationTokenSource _calls = new();

    /// <summary>Runs before any service stops (the server included): no new calls, in-flight ones get a few seconds.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _generation.CancelAsync().ConfigureAwait(false);
        _calls.CancelAfter(s_drainTime);
        if (ExecuteTask is { } running)
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose()
    {
        _generation.Dispose();
        _calls.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = stoppingToken.Register(() =>
        {
            _generation.Cancel();
            _calls.Cancel();
        });
        if (!await WaitUntilListeningAsync().ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await RunDemoAsync(_generation.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!_generation.IsCancellationRequested)
        {
            // The collector keeps serving; only the demo traffic ends.
            logger.LogError(ex, "The demo traffic stopped");
        }
    }

    private async Task RunDemoAsync(CancellationToken stoppingToken)
    {
        var collector = CollectorAddress();
        var keys = options.Value.Keys;
        if (keys.AnyConfigured && (keys.Ingest ?? keys.Admin) is null)
        {
            logger.LogWarning("Demo traffic not started: keys are configured, and shipping the demo's records needs Keys:Ingest or Keys:Admin");
            return;
        }

        demo.Simulator.Alerts.Received += alert => logger.LogInformation(
            "Demo webhook receiver got {Type} for budget '{Budget}': threshold {Threshold} %, ${Spent} of ${Limit}, routing {Action} (signature verified)",
            alert.Type,
            alert.Budget,
            alert.ThresholdPercent?.ToString(CultureInfo.InvariantCulture) ?? "-",
            alert.SpentUsd.ToString("0.####", CultureInfo.InvariantCulture),
            alert.LimitUsd.ToString("0.##", CultureInfo.InvariantCulture),
            alert.RoutingAction);
        await CreateBudgetsAsync(collector, keys.AnyConfigured ? keys.Admin : null, keys.AnyConfigured, stoppingToken).ConfigureAwait(false);
        LogBanner(collector);

        await using var policy = new LlmMeterPolicy(
            new LlmMeterPolicyOptions
            {
                Collector = collector,
                ReadKey = keys.Read ?? keys.Admin,
                PollInterval = TimeSpan.FromSeconds(1),
                // No re-adding of recent costs on each fetch: they can keep the handler blocking a little below the
                // limit, and then the collector never sees 100 % (nor its alert) while its figures stop moving.
                IngestLag = TimeSpan.Zero,
            },
            time,
            logger);
        await policy.RefreshAsync(stoppingToken).ConfigureAwait(false);
        var sink = new LlmMeterCollectorSink(
            new LlmMeterCollectorOptions
            {
                Collector = collector,
                IngestKey = keys.Ingest ?? keys.Admin,
                FlushInterval = TimeSpan.FromMilliseconds(250),
                ShutdownTimeout = TimeSpan.FromSeconds(2),
            },
            time,
            logger: logger);
        await using (sink.ConfigureAwait(false))
        {
            var handlerOptions = new LlmMeterOptions { App = demo.Options.App, BaseAddress = demo.Simulator.ApiRoot, Policy = policy };
            handlerOptions.DefaultTags["simulated"] = "true";
            handlerOptions.DefaultTags[DemoRuntime.RunTag] = demo.RunId;
            using var http = new HttpClient(new LlmMeterHandler(handlerOptions, sink, meterFactory: null, time) { InnerHandler = new SocketsHttpHandler() })
            {
                BaseAddress = demo.Simulator.ApiRoot,
                Timeout = TimeSpan.FromSeconds(60),
            };
            await RunAsync(http, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> WaitUntilListeningAsync()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(started.SetResult);
        using var onStopping = _generation.Token.Register(() => started.TrySetCanceled(_generation.Token));
        try
        {
            await started.Task.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunAsync(HttpClient http, CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / demo.Options.CallsPerSecond), time);
        long next = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                running.RemoveAll(t => t.IsCompleted);
                if (running.Count >= MaxInFlight)
                {
                    continue; // The simulator is slower than the rate asks: skip rather than pile up.
                }

                var scenario = DemoScenarios.Mix[(int)(next++ % DemoScenarios.Mix.Count)];
                demo.CallStarted();
                running.Add(CallAsync(http, scenario, _calls.Token));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task CallAsync(HttpClient http, DemoScenario scenario, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("chat/completions", UriKind.Relative)) { Content = new ByteArrayContent(scenario.Body()) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("X-LlmMeter-Tags", scenario.Tags);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                await body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            // Cancelled at shutdown, or the simulator went away: the record says what happened.
            logger.LogDebug(ex, "Demo call failed");
        }
    }

    private async Task CreateBudgetsAsync(Uri collector, string? adminKey, bool keysConfigured, CancellationToken cancellationToken)
    {
        if (keysConfigured && adminKey is null)
        {
            logger.LogWarning("Demo budgets not created: keys are configured but Keys:Admin is not, and /v1/budgets needs it");
            return;
        }

        using var admin = new HttpClient { BaseAddress = collector, Timeout = TimeSpan.FromSeconds(30) };
        if (adminKey is not null)
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        }

        // Earlier runs' demo budgets would sit at zero forever (their run tag is gone): remove them.
        using (var list = await admin.GetAsync(new Uri("v1/budgets", UriKind.Relative), cancellationToken).ConfigureAwait(false))
        {
            if (list.IsSuccessStatusCode)
            {
                using var document = JsonDocument.Parse(await list.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                foreach (var budget in document.RootElement.GetProperty("budgets").EnumerateArray())
                {
                    var id = budget.GetProperty("id").GetString()!;
                    if (id.StartsWith(DemoRuntime.BudgetPrefix, StringComparison.Ordinal) && !id.Contains(demo.RunId, StringComparison.Ordinal))
                    {
                        using var deleted = await admin.DeleteAsync(new Uri("v1/budgets/" + Uri.EscapeDataString(id), UriKind.Relative), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        foreach (var (id, json) in demo.Budgets())
        {
            using var content = new ByteArrayContent(json);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var created = await admin.PutAsync(new Uri("v1/budgets/" + id, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
            if (!created.IsSuccessStatusCode)
            {
                logger.LogWarning(
                    "Demo budget {Id} not created: {Status} {Problem}",
                    id,
                    (int)created.StatusCode,
                    await created.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            }
        }
    }

    private void LogBanner(Uri collector)
    {
        logger.LogInformation(
            "DEMO MODE: traffic from a built-in OpenRouter simulator at {Simulator} (simulated models, prices, fallbacks, streams and errors; no real OpenRouter call is made and no key is needed). "
            + "App '{App}' (tags simulated=true, {RunTag}={Run}) makes {Rate} calls/s through the real LlmMeterHandler. "
            + "Budget '{Budget}' (${Limit}/day on team=search): alert at 50 %, downgrade at 80 %, block at 100 % (free models still pass). Store: {Store}",
            demo.Simulator.ApiRoot,
            demo.Options.App,
            DemoRuntime.RunTag,
            demo.RunId,
            demo.Options.CallsPerSecond.ToString(CultureInfo.InvariantCulture),
            demo.SearchBudgetId,
            demo.Options.BudgetUsd.ToString("0.####", CultureInfo.InvariantCulture),
            options.Value.Store.SqlitePath);
        logger.LogInformation(
            "Open the status page {Status} | metrics {Metrics} | API {Spend} , {Calls} , {Policy} , {Budgets}",
            collector.AbsoluteUri,
            new Uri(collector, "metrics").AbsoluteUri,
            new Uri(collector, "v1/spend?group_by=model,team").AbsoluteUri,
            new Uri(collector, "v1/calls?limit=20").AbsoluteUri,
            new Uri(collector, "v1/policy").AbsoluteUri,
            new Uri(collector, "v1/budgets").AbsoluteUri);
    }

    /// <summary>Where this collector listens, as the demo application reaches it (a wildcard host becomes 127.0.0.1).</summary>
    private Uri CollectorAddress()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The collector has no address to send demo traffic to.");
        var binding = BindingAddress.Parse(address);
        var host = binding.Host is "0.0.0.0" or "[::]" or "+" or "*" or "localhost" ? "127.0.0.1" : binding.Host;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{binding.Scheme}://{host}:{binding.Port}/"));
    }
}
