using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Tests.Policy;

public sealed class ReceiverOptionsTests
{
    [Theory]
    [InlineData("--Receivers:AlertmanagerToken=short", "Receivers:AlertmanagerToken")]
    [InlineData("--Receivers:GrafanaSecret=short", "Receivers:GrafanaSecret")]
    [InlineData("--Receivers:GrafanaSignatureHeader=Bad Header", "Receivers:GrafanaSignatureHeader")]
    [InlineData("--Receivers:GrafanaTimestampHeader=a:b", "Receivers:GrafanaTimestampHeader")]
    [InlineData("--Receivers:MaxSkew=00:00:00", "Receivers:MaxSkew")]
    [InlineData("--Receivers:MaxRequestBytes=10", "Receivers:MaxRequestBytes")]
    public async Task StartAsync_BadReceiverSetting_StopsNamingIt(string setting, string name)
    {
        var folder = CollectorHost.NewFolder();
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
            {
                await using var app = CollectorApp.Create(["--urls", "http://127.0.0.1:0", $"--Store:SqlitePath={Path.Combine(folder, "x.db")}", setting]);
                await app.StartAsync();
            });

            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
