using System.Globalization;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// A real Alertmanager on 127.0.0.1 (HA clustering off) with a test copy of the shipped alertmanager.yml that
/// delivers to <paramref name="collector"/> with <paramref name="token"/> in its credentials file.
/// </summary>
internal sealed class AlertmanagerServer : IAsyncDisposable
{
    private readonly ToolProcess _process;

    private AlertmanagerServer(ToolProcess process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/")), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process.Output;

    public static async Task<AlertmanagerServer> StartAsync(TempFolder folder, int port, Uri collector, string token)
    {
        var credentials = folder.Write(Path.Combine("alertmanager", "collector-token"), token);
        var config = folder.Write(Path.Combine("alertmanager", "alertmanager.yml"), ShippedConfig.Alertmanager(collector, credentials));
        var process = ToolProcess.Start(Tools.Alertmanager, [
            "--config.file=" + config,
            "--storage.path=" + Path.Combine(folder.Path, "alertmanager", "data"),
            string.Create(CultureInfo.InvariantCulture, $"--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=",
            "--log.level=warn",
        ]);
        var server = new AlertmanagerServer(process, port);
        await Readiness.WaitAsync(server.Http, process, "Alertmanager");
        return server;
    }

    /// <summary>The alerts Alertmanager holds now (for failure messages).</summary>
    public async Task<string> AlertsAsync()
    {
        using var response = await Http.GetAsync(new Uri("api/v2/alerts", UriKind.Relative));
        return "Alertmanager alerts: " + await response.Content.ReadAsStringAsync() + "\nAlertmanager log:\n" + Output;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}
