using System.Net;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Tests.Hosting;

/// <summary>The key rule at start: at least 16 characters after trimming; whitespace-only stops the collector naming the setting.</summary>
public sealed class CollectorOptionsValidatorTests
{
    private static readonly string Spaces16 = new(' ', 16);

    public static TheoryData<string, string, string> BadKeys => new()
    {
        { "Keys:Ingest", Spaces16, "only whitespace" },
        { "Keys:Read", Spaces16, "only whitespace" },
        { "Keys:Admin", "\t \t \t \t \t \t \t \t \t", "only whitespace" },
        { "Keys:Metrics", Spaces16, "only whitespace" },
        { "Receivers:AlertmanagerToken", Spaces16, "only whitespace" },
        // 15 characters padded to 25: the padding does not count.
        { "Keys:Admin", "     0123456789abcde     ", "at least 16 characters" },
        { "Keys:Read", "short", "at least 16 characters" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Start_BadKey_StopsNamingTheSetting(string setting, string value, string why)
    {
        var folder = CollectorHost.NewFolder();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = CollectorApp.Create(
                ["--urls", "http://127.0.0.1:0", $"--Store:SqlitePath={Path.Combine(folder, "x.db")}", $"--Keys:Admin={CollectorHost.AdminKey}", $"--{setting}={value}"]);
            await app.StartAsync();
        });

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MetricsKeyAlone_StopsNamingIt()
    {
        var folder = CollectorHost.NewFolder();

        var error = Assert.Throws<OptionsValidationException>(() =>
            CollectorApp.Create(["--urls", "http://127.0.0.1:0", $"--Store:SqlitePath={Path.Combine(folder, "x.db")}", "--Keys:Metrics=metrics-key-0123456789abc"]));

        Assert.Contains("Keys:Metrics", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_KeyConfiguredWithSurroundingWhitespace_MatchesTheTrimmedBearer()
    {
        // A key pasted with a trailing newline or spaces still works: the bearer token is compared trimmed, so is the key.
        const string Padded = "  read-key-with-padding-0123  \n";
        await using var host = await CollectorHost.StartAsync($"--Keys:Read={Padded}");
        using var client = host.Client(Padded.Trim());

        using var response = await client.GetAsync(new Uri("v1/spend", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_EmptyKey_MeansNotConfigured()
    {
        // LLMMETER_Keys__Metrics= in an env file: the setting is absent, not a whitespace key.
        await using var host = await CollectorHost.StartAsync("--Keys:Metrics=");
        using var client = host.Client(CollectorHost.ReadKey);

        using var response = await client.GetAsync(new Uri("metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
