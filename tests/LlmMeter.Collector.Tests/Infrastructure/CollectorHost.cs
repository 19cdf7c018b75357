using System.Net.Http.Headers;
using LlmMeter.Collector.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Infrastructure;

/// <summary>
/// A real collector on Kestrel, 127.0.0.1 and an ephemeral port, over a real SQLite file in a temp folder.
/// Restart it on the same file with <see cref="StartAsync(string, string[], Action{IServiceCollection}?)"/>.
/// </summary>
internal sealed class CollectorHost : IAsyncDisposable
{
    public const string IngestKey = "ingest-key-0123456789";
    public const string ReadKey = "read-key-0123456789ab";
    public const string AdminKey = "admin-key-0123456789a";

    private readonly WebApplication _app;
    private readonly bool _ownsFolder;

    private CollectorHost(WebApplication app, string folder, bool ownsFolder)
    {
        _app = app;
        Folder = folder;
        _ownsFolder = ownsFolder;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    /// <summary>The temp folder holding the database (kept across restarts, deleted by the owning host).</summary>
    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "llmmeter.db");

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>A fresh collector with its own database file and the three test keys.</summary>
    public static Task<CollectorHost> StartAsync(params string[] extraArgs) => StartAsync(NewFolder(), extraArgs, null, ownsFolder: true);

    /// <summary>A collector on <paramref name="folder"/>'s database (to restart on the same file).</summary>
    public static Task<CollectorHost> StartAsync(string folder, string[] extraArgs, Action<IServiceCollection>? configureServices) =>
        StartAsync(folder, extraArgs, configureServices, ownsFolder: false);

    public static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "llmmeter-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A client for the collector with <paramref name="key"/> as bearer (none when null).</summary>
    public HttpClient Client(string? key = AdminKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_ownsFolder)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a pooled handle; the OS temp cleaner gets it.
            }
        }
    }

    private static async Task<CollectorHost> StartAsync(string folder, string[] extraArgs, Action<IServiceCollection>? configureServices, bool ownsFolder)
    {
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Store:SqlitePath={Path.Combine(folder, "llmmeter.db")}",
            $"--Keys:Ingest={IngestKey}",
            $"--Keys:Read={ReadKey}",
            $"--Keys:Admin={AdminKey}",
            "--Logging:LogLevel:Default=Warning",
            .. extraArgs,
        ];
        var app = CollectorApp.Create(args, configureServices);
        await app.StartAsync().ConfigureAwait(false);
        return new CollectorHost(app, folder, ownsFolder);
    }
}
