using System.ComponentModel;
using System.Diagnostics;

namespace LlmMeter.Collector.Tests.Metrics;

/// <summary>The real <c>promtool</c> (Debian package <c>prometheus</c>, installed by eng/test.sh).</summary>
internal static class Promtool
{
    /// <summary>Runs <c>promtool check metrics</c> on <paramref name="text"/>; returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string text)
    {
        var path = Find();
        Assert.True(
            path is not null,
            "promtool was not found (looked on PATH and in /usr/bin). Install the Debian package 'prometheus' "
            + "(apt-get install prometheus), or run eng/test.sh, which installs it.");

        var start = new ProcessStartInfo(path!, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new Win32Exception($"Could not start {path}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string? Find()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin");
        return dirs.Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
    }
}
