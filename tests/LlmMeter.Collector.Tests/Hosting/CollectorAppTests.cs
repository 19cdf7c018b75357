using System.Collections.Concurrent;
using System.Net;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Tests.Hosting;

public sealed class CollectorAppTests
{
    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://+:0")]
    [InlineData("http://127.0.0.1:0;http://10.1.2.3:0")]
    public void Create_NoKeysAndNonLoopbackUrl_RefusesAndSaysWhy(string urls)
    {
        var folder = CollectorHost.NewFolder();

        var error = Assert.Throws<InvalidOperationException>(() => CollectorApp.Create(["--urls", urls, $"--Store:SqlitePath={Path.Combine(folder, "x.db")}"]));

        Assert.Contains("only listens on loopback", error.Message, StringComparison.Ordinal);
        Assert.Contains("Keys:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Ingest:MaxRecordsPerRequest=0", "Ingest:MaxRecordsPerRequest")]
    [InlineData("--Keys:Admin=short", "Keys:Admin")]
    [InlineData("--Store:Provider=oracle", "Store:Provider")]
    [InlineData("--Metrics:MaxLabelValues=-1", "Metrics:MaxLabelValues")]
    public async Task StartAsync_BadSetting_StopsNamingIt(string setting, string name)
    {
        var folder = CollectorHost.NewFolder();

        // Settings are validated while the app is built (or at the latest when it starts): it never listens.
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = CollectorApp.Create(["--urls", "http://127.0.0.1:0", $"--Store:SqlitePath={Path.Combine(folder, "x.db")}", setting]);
            await app.StartAsync();
        });

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NoKeysOnLoopback_ServesWithoutAuthAndLogsWhereItIs()
    {
        var folder = CollectorHost.NewFolder();
        var path = Path.Combine(folder, "nested", "store.db");
        var logs = new LogCollector();
        await using var app = CollectorApp.Create(
            ["--urls", "http://127.0.0.1:0", $"--Store:SqlitePath={path}"],
            services => services.AddSingleton<ILoggerProvider>(logs));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await http.GetAsync(new Uri("/v1/spend", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(File.Exists(path), "The store file and its folder are created.");
        var started = Assert.Single(logs.Messages, m => m.StartsWith("LlmMeter collector listening", StringComparison.Ordinal));
        Assert.Contains(address + "/v1", started, StringComparison.Ordinal);
        Assert.Contains(address + "/metrics", started, StringComparison.Ordinal);
        Assert.Contains(path, started, StringComparison.Ordinal);
        await app.StopAsync();
    }

    private sealed class LogCollector : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
