using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Policy;

public sealed class AlertmanagerReceiverTests
{
    private static readonly string[] s_tokenArgs = [$"--Receivers:AlertmanagerToken={PolicyApi.AlertmanagerToken}"];

    [Fact]
    public async Task Post_FiringSample_CreatesOverrideAndAcknowledgesOtherAlerts()
    {
        await using var host = await CollectorHost.StartAsync(s_tokenArgs);
        var body = AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade(), AlertSamples.DiskAlmostFull());

        var receipt = await PolicyApi.ReceiptAsync(host.Client(null), PolicyApi.Alertmanager(body, PolicyApi.AlertmanagerToken));

        Assert.Equal(["alertmanager:5f0c2a9e1b7d3c44"], PolicyApi.Strings(receipt, "applied"));
        Assert.Empty(PolicyApi.Strings(receipt, "removed"));
        Assert.Equal(1, receipt.GetProperty("ignored").GetInt32());
        var entry = Assert.Single(await PolicyApi.OverridesAsync(host));
        Assert.Equal("alertmanager:5f0c2a9e1b7d3c44", entry.GetProperty("id").GetString());
        Assert.Equal("LlmSpendBurnRateHigh", entry.GetProperty("name").GetString());
        Assert.Equal("downgrade", entry.GetProperty("action").GetString());
        Assert.Equal("search", entry.GetProperty("scope").GetProperty("team").GetString());
        Assert.Equal("openai/gpt-4o", entry.GetProperty("scope").GetProperty("model").GetString());
        Assert.Equal("openai/gpt-4o-mini", entry.GetProperty("downgrade_to").GetString());
        Assert.Equal("alertmanager", entry.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Post_ResolvedSample_RemovesOverride()
    {
        await using var host = await CollectorHost.StartAsync(s_tokenArgs);
        using var client = host.Client(null);
        await PolicyApi.ReceiptAsync(client, PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade()), PolicyApi.AlertmanagerToken));
        Assert.Single((await PolicyApi.PolicyAsync(host)).Policy.Overrides);

        var receipt = await PolicyApi.ReceiptAsync(client, PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade(firing: false)), PolicyApi.AlertmanagerToken));

        Assert.Equal(["alertmanager:5f0c2a9e1b7d3c44"], PolicyApi.Strings(receipt, "removed"));
        Assert.Empty(PolicyApi.Strings(receipt, "applied"));
        Assert.Empty(await PolicyApi.OverridesAsync(host));
        Assert.Empty((await PolicyApi.PolicyAsync(host)).Policy.Overrides);

        // Alertmanager may send the resolution again: nothing left to remove, still 200.
        var again = await PolicyApi.ReceiptAsync(client, PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade(firing: false)), PolicyApi.AlertmanagerToken));
        Assert.Empty(PolicyApi.Strings(again, "removed"));
        Assert.Equal(1, again.GetProperty("ignored").GetInt32());
    }

    [Fact]
    public async Task Post_FiringDowngradeWithoutTarget_IgnoredAndReported()
    {
        await using var host = await CollectorHost.StartAsync(s_tokenArgs);
        var noTarget = AlertSamples.Labelled("0badc0de00000001", true, ("alertname", "NoTarget"), ("team", "search"), ("llmmeter_action", "downgrade"));
        var block = AlertSamples.Labelled("0badc0de00000002", true, ("alertname", "HardStop"), ("app", "batch"), ("llmmeter_action", "block"));

        var receipt = await PolicyApi.ReceiptAsync(host.Client(null), PolicyApi.Alertmanager(AlertSamples.Alertmanager(noTarget, block), PolicyApi.AlertmanagerToken));

        Assert.Equal(["alertmanager:0badc0de00000002"], PolicyApi.Strings(receipt, "applied"));
        Assert.Equal(1, receipt.GetProperty("ignored").GetInt32());
        var problem = Assert.Single(receipt.GetProperty("problems").EnumerateArray());
        Assert.Equal("alertmanager:0badc0de00000001", problem.GetProperty("id").GetString());
        Assert.Equal("NoTarget", problem.GetProperty("alert").GetString());
        Assert.Contains("llmmeter_downgrade_to", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var entry = Assert.Single(await PolicyApi.OverridesAsync(host));
        Assert.Equal("block", entry.GetProperty("action").GetString());
    }

    [Theory]
    [InlineData("{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"llmmeter_action\":\"block\"}", null)]
    [InlineData("not json at all", null)]
    [InlineData("[]", null)]
    [InlineData("{\"version\":\"4\",\"alerts\":{}}", "alerts")]
    [InlineData("{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"llmmeter_action\":\"block\",\"app\":7}}]}", "alerts[0].labels.app")]
    [InlineData("{\"alerts\":[{\"status\":\"pending\",\"labels\":{\"llmmeter_action\":\"block\"}}]}", "alerts[0].status")]
    [InlineData("{\"alerts\":[{\"status\":\"firing\"}]}", "alerts[0].labels")]
    public async Task Post_MalformedOrWrongShape_400AndNothingChanged(string body, string? field)
    {
        await using var host = await CollectorHost.StartAsync(s_tokenArgs);
        var blockAll = AlertSamples.Labelled("feedfeedfeedfeed", true, ("alertname", "Stop"), ("llmmeter_action", "block"));
        await PolicyApi.ReceiptAsync(host.Client(null), PolicyApi.Alertmanager(AlertSamples.Alertmanager(blockAll), PolicyApi.AlertmanagerToken));

        using var request = PolicyApi.Alertmanager(body, PolicyApi.AlertmanagerToken);
        using var response = await host.Client(null).SendAsync(request);

        var problem = await Api.Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        if (field is null)
        {
            Assert.False(problem.TryGetProperty("field", out _));
        }
        else
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }

        Assert.Equal("alertmanager:feedfeedfeedfeed", Assert.Single(await PolicyApi.OverridesAsync(host)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Post_UnknownFieldsFromNewerAlertmanager_Ignored()
    {
        await using var host = await CollectorHost.StartAsync(s_tokenArgs);
        var body = AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade())
            .Replace("\"version\":\"4\"", "\"version\":\"5\",\"newTopLevel\":{\"nested\":[1,2,{\"x\":null}]}", StringComparison.Ordinal)
            .Replace("\"fingerprint\":", "\"silenceURL\":\"http://am/s\",\"extra\":[true,false],\"fingerprint\":", StringComparison.Ordinal);

        var receipt = await PolicyApi.ReceiptAsync(host.Client(null), PolicyApi.Alertmanager(body, PolicyApi.AlertmanagerToken));

        Assert.Equal(["alertmanager:5f0c2a9e1b7d3c44"], PolicyApi.Strings(receipt, "applied"));
    }

    [Theory]
    [InlineData("wrong-token-0123456789abc")]
    [InlineData(CollectorHost.ReadKey)]
    [InlineData(null)]
    public async Task Post_TokenConfiguredButWrongOrMissingBearer_401AndNothingApplied(string? bearer)
    {
        await using var host = await CollectorHost.StartAsync(s_tokenArgs);

        using var request = PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade()), bearer);
        using var response = await host.Client(null).SendAsync(request);

        await Api.Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Empty(await PolicyApi.OverridesAsync(host));
    }

    [Fact]
    public async Task Post_NoTokenConfigured_NeedsAdminKey()
    {
        await using var host = await CollectorHost.StartAsync();
        var body = AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade());

        using (var request = PolicyApi.Alertmanager(body, CollectorHost.ReadKey))
        using (var response = await host.Client(null).SendAsync(request))
        {
            await Api.Api.ProblemAsync(response, HttpStatusCode.Forbidden);
        }

        using (var request = PolicyApi.Alertmanager(body, PolicyApi.AlertmanagerToken))
        using (var response = await host.Client(null).SendAsync(request))
        {
            await Api.Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        Assert.Empty(await PolicyApi.OverridesAsync(host));
        var receipt = await PolicyApi.ReceiptAsync(host.Client(null), PolicyApi.Alertmanager(body, CollectorHost.AdminKey));
        Assert.Equal(["alertmanager:5f0c2a9e1b7d3c44"], PolicyApi.Strings(receipt, "applied"));
    }
}
