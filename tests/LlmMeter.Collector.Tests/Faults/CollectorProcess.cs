using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Faults;

/// <summary>
/// The collector as a real child process (<c>dotnet LlmMeter.Collector.dll</c>, the build that lands next to the
/// tests through the project reference) on a fixed loopback port and a SQLite file in <see cref="Folder"/>, so that
/// it can be killed with SIGKILL and started again on the same file and address. Dispose kills it and deletes the folder.
/// </summary>
internal sealed class CollectorProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] s_inheritedSettingsRemoved = ["OPENROUTER_API_KEY", "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT"];

    private readonly string[] _extraArgs;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public CollectorProcess(params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        Folder = CollectorHost.NewFolder();
        BaseAddress = new Uri($"http://127.0.0.1:{Exporter.ExporterKit.FreePort()}/");
    }

    /// <summary>The collector build the tests reference, copied next to them by the build.</summary>
    public static string CollectorDll { get; } = Path.Combine(AppContext.BaseDirectory, "LlmMeter.Collector.dll");

    /// <summary>The temp folder holding the database (kept across restarts).</summary>
    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "llmmeter.db");

    /// <summary>The same address for every start: clients keep using it across a kill and a restart.</summary>
    public Uri BaseAddress { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the child processes wrote so far (stdout and stderr of every start).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the collector on the folder's database and waits until it answers HTTP.</summary>
    public async Task StartAsync()
    {
        Assert.False(IsRunning, "The collector is already running.");
        Assert.True(
            File.Exists(CollectorDll),
            $"The collector build {CollectorDll} is missing: build the solution (dotnet build LlmMeter.sln -c Release) before running the tests.");
        _process?.Dispose();
        _process = Launch();
        await WaitUntilReadyAsync(_process);
    }

    /// <summary>SIGKILL: no shutdown code runs, whatever the collector was doing.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        _process.Kill();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cancel.Token);
    }

    /// <summary>A client for the collector with <paramref name="key"/> as bearer.</summary>
    public HttpClient Client(string key) => new()
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or Win32Exception)
        {
            // Already reaped, or not reaped within 30 s: nothing more a test can do.
        }
        finally
        {
            _process?.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still being closed; the OS temp cleaner gets it.
            }
        }
    }

    private Process Launch()
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        string[] arguments =
        [
            "exec", CollectorDll,
            "--urls", BaseAddress.AbsoluteUri.TrimEnd('/'),
            $"--Store:SqlitePath={DatabasePath}",
            "--Logging:LogLevel:Default=Warning",
            .. _extraArgs,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keys through the environment, so that they are not on a command line; nothing of the test host's own
        // collector settings or OpenRouter key reaches the child.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("LLMMETER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var name in s_inheritedSettingsRemoved)
        {
            start.Environment.Remove(name);
        }

        start.Environment["LLMMETER_Keys__Ingest"] = CollectorHost.IngestKey;
        start.Environment["LLMMETER_Keys__Read"] = CollectorHost.ReadKey;
        start.Environment["LLMMETER_Keys__Admin"] = CollectorHost.AdminKey;

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new Win32Exception($"Could not start {start.FileName} {CollectorDll}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync(Process process)
    {
        using var probe = new HttpClient
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(5),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", CollectorHost.ReadKey) },
        };
        var started = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                Assert.Fail($"The collector exited with code {process.ExitCode} before answering:\n{Output}");
            }

            try
            {
                // /metrics only answers once the app (store migrated, budgets loaded) has started; with keys it needs one.
                using var response = await probe.GetAsync(new Uri("metrics", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (started.Elapsed > s_readyTimeout)
            {
                Assert.Fail($"The collector did not answer on {BaseAddress} within {s_readyTimeout.TotalSeconds:0} s:\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    // The host running the tests (dotnet test sets DOTNET_HOST_PATH), else dotnet on PATH.
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
