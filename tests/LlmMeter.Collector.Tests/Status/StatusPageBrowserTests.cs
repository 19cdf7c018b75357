using System.Diagnostics;
using System.Text.RegularExpressions;
using LlmMeter.Collector.Tests.Demo;
using LlmMeter.Collector.Tests.Metrics;
using Xunit.Abstractions;

namespace LlmMeter.Collector.Tests.Status;

/// <summary>
/// The status page in a real headless browser (Debian's <c>chromium</c>, which <c>eng/test.sh</c> installs), loaded
/// from a collector running the demo. The screenshot is kept as a test artifact: <c>TestResults/status-page.png</c>
/// under the test output folder.
/// </summary>
public sealed partial class StatusPageBrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Chromium_DemoStatusPage_ShowsEverySectionWithDemoRowsAndSavesAScreenshot()
    {
        Assert.True(
            File.Exists(Chromium),
            $"The browser test needs Debian's chromium at {Chromium}: run 'apt-get install -y chromium' (bash eng/test.sh installs it).");
        await using var demo = await DemoCollector.StartAsync();
        // Enough happened to fill every section: fallbacks, blocked calls, the budget at its limit (block in force).
        await demo.CallsWhenAsync(
            calls => calls.Any(c => c.TryGetProperty("routing", out var r) && r.GetProperty("action").GetString() == "block")
                && calls.Any(c => c.GetProperty("fallback_used").GetBoolean()),
            "blocked and fallback calls from the demo");
        await WaitFor.ValueAsync(
            async () => await demo.Http.GetStringAsync(new Uri("v1/budgets/" + demo.Demo.SearchBudgetId, UriKind.Relative)),
            budget => budget.Contains("\"active_action\":\"block\"", StringComparison.Ordinal),
            "the demo budget to block",
            TimeSpan.FromSeconds(30));

        var dom = await RunChromiumAsync("--dump-dom", demo.BaseAddress);

        Assert.Contains("<meta http-equiv=\"refresh\" content=\"5\">", dom, StringComparison.Ordinal);
        Assert.Contains("Demo: traffic from a built-in OpenRouter simulator", dom, StringComparison.Ordinal);
        foreach (var id in new[] { "demo-banner", "links", "spend", "budgets", "routing", "demo-alerts", "calls" })
        {
            Assert.Contains($"id=\"{id}\"", dom, StringComparison.Ordinal);
        }

        var calls = Section(dom, "calls");
        Assert.True(RowCount(calls) >= 10, $"Recent calls should list the demo's calls; got: {calls}");
        Assert.Contains("demo-shop", calls, StringComparison.Ordinal);
        Assert.Contains("blocked 402", calls, StringComparison.Ordinal);
        Assert.Contains("Search team, daily (demo)", Section(dom, "budgets"), StringComparison.Ordinal);
        Assert.Contains("openai/<wbr>gpt-4o", Section(dom, "spend"), StringComparison.Ordinal);
        Assert.Contains("block", Section(dom, "routing"), StringComparison.Ordinal);

        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(folder);
        var screenshot = Path.Combine(folder, "status-page.png");
        File.Delete(screenshot);
        await RunChromiumAsync($"--screenshot={screenshot}", demo.BaseAddress);

        Assert.True(File.Exists(screenshot), $"chromium wrote no screenshot at {screenshot}");
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 20_000, $"The screenshot is suspiciously small ({png.Length} bytes): a blank page?");
        output.WriteLine($"Status page screenshot: {screenshot}");
        Console.WriteLine($"Status page screenshot: {screenshot}");
    }

    /// <summary>Runs headless chromium on <paramref name="url"/> with its own throwaway profile; returns what it printed.</summary>
    private async Task<string> RunChromiumAsync(string action, Uri url)
    {
        var profile = Path.Combine(Path.GetTempPath(), "llmmeter-chromium", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
            $"--user-data-dir={profile}", "--window-size=1280,2000", action, url.AbsoluteUri,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"chromium {action} did not finish within 60 s: {await stderr}");
        }
        finally
        {
            TryDelete(profile);
        }

        var printed = await stdout;
        Assert.True(process.ExitCode == 0, $"chromium {action} exited with {process.ExitCode}: {await stderr}");
        return printed;
    }

    private static string Section(string dom, string id)
    {
        var match = Regex.Match(dom, $"<section id=\"{id}\">(.*?)</section>", RegexOptions.Singleline);
        Assert.True(match.Success, $"No section {id} in the DOM");
        return match.Groups[1].Value;
    }

    private static int RowCount(string html) => TableRow().Matches(html).Count;

    [GeneratedRegex("<tr>\\s*<td", RegexOptions.CultureInvariant)]
    private static partial Regex TableRow();

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still be writing its profile; the OS temp cleaner gets it.
        }
    }
}
