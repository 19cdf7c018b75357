using System.Net;
using System.Net.Http.Headers;
using LlmMeter.Collector.Budgets;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Policy;

public sealed class PolicyEndpointTests
{
    private static readonly DateTimeOffset s_periodStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetPolicy_SameContent_SameETagAndBytes()
    {
        await using var host = await CollectorHost.StartAsync();
        using var read = host.Client(CollectorHost.ReadKey);

        using var first = await read.GetAsync("v1/policy");
        using var second = await read.GetAsync("v1/policy");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(first.Headers.ETag);
        Assert.False(first.Headers.ETag!.IsWeak);
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.True(first.Headers.CacheControl?.NoCache);
        Assert.Equal("application/json", first.Content.Headers.ContentType?.MediaType);
        var body = await first.Content.ReadAsStringAsync();
        Assert.Contains("\"generated_at\":", body, StringComparison.Ordinal);
        Assert.Contains("\"budgets\":[]", body, StringComparison.Ordinal);
        Assert.Contains("\"overrides\":[]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPolicy_IfNoneMatchCurrentETag_304WithETagAndNoBody()
    {
        await using var host = await CollectorHost.StartAsync();
        using var read = host.Client(CollectorHost.ReadKey);
        var (_, etag) = await PolicyApi.PolicyAsync(host);

        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/policy");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        using var response = await read.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Get, "v1/policy");
        stale.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse("\"something-else\""));
        using var full = await read.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
    }

    [Fact]
    public async Task GetPolicy_OverrideAdded_ETagChangesAndServesOverride()
    {
        await using var host = await CollectorHost.StartAsync();
        var (before, etagBefore) = await PolicyApi.PolicyAsync(host);
        Assert.Empty(before.Overrides);

        await PolicyApi.ReceiptAsync(host.Client(), PolicyApi.Alertmanager(AlertSamples.Alertmanager(AlertSamples.SpendBurnDowngrade()), CollectorHost.AdminKey));
        var (after, etagAfter) = await PolicyApi.PolicyAsync(host);

        Assert.NotEqual(etagBefore, etagAfter);
        var entry = Assert.Single(after.Overrides);
        Assert.Equal(new PolicyOverride
        {
            Id = "alertmanager:5f0c2a9e1b7d3c44",
            Name = "LlmSpendBurnRateHigh",
            Action = RoutingAction.Downgrade,
            Scope = new PolicyScope { App = "search-api", Team = "search", Model = "openai/gpt-4o" },
            DowngradeTo = "openai/gpt-4o-mini",
        }, entry);

        // The old ETag no longer matches: a poller gets the new policy.
        using var read = host.Client(CollectorHost.ReadKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/policy");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etagBefore));
        using var response = await read.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetPolicy_BudgetState_ServesRoutingBudgetsWithTheirRoutingThresholdsOnly()
    {
        var state = new FixedBudgetState(
            Status("alert-only", 50m, 45m, new PolicyThreshold { Percent = 80, Action = RoutingAction.Alert }),
            Status(
                "search-monthly",
                100m,
                85.5m,
                new PolicyThreshold { Percent = 50, Action = RoutingAction.Alert },
                new PolicyThreshold { Percent = 80, Action = RoutingAction.Downgrade, ModelMap = new Dictionary<string, string> { ["openai/gpt-4o"] = "openai/gpt-4o-mini", ["anthropic/*"] = "anthropic/claude-3-haiku" } },
                new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }));
        await using var collector = await TempCollector.StartAsync([], services => services.AddSingleton<IBudgetState>(state));

        var (policy, etag) = await PolicyApi.PolicyAsync(collector.Host);

        var budget = Assert.Single(policy.Budgets);
        Assert.Equal("search-monthly", budget.Id);
        Assert.Equal("Budget search-monthly", budget.Name);
        Assert.Equal(new PolicyScope { App = "search-api", Team = "search" }, budget.Scope);
        Assert.Equal(100m, budget.LimitUsd);
        Assert.Equal(85.5m, budget.SpentUsd);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), budget.PeriodEnd);
        Assert.Equal([(80.0, RoutingAction.Downgrade), (100.0, RoutingAction.Block)], budget.Thresholds.Select(t => (t.Percent, t.Action)));
        Assert.Equal("openai/gpt-4o-mini", budget.Thresholds[0].ModelMap!["openai/gpt-4o"]);

        // New spend is new content: a new ETag.
        state.Statuses = [.. state.Statuses.Select(s => s with { SpentUsd = s.SpentUsd + 1m })];
        var (changed, changedEtag) = await PolicyApi.PolicyAsync(collector.Host);
        Assert.Equal(86.5m, Assert.Single(changed.Budgets).SpentUsd);
        Assert.NotEqual(etag, changedEtag);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(CollectorHost.IngestKey, HttpStatusCode.Forbidden)]
    public async Task GetPolicy_WithoutReadKey_Refused(string? key, HttpStatusCode expected)
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await host.Client(key).GetAsync("v1/policy");

        await Api.Api.ProblemAsync(response, expected);
    }

    private static BudgetStatus Status(string id, decimal limit, decimal spent, params PolicyThreshold[] thresholds) => new()
    {
        Budget = new BudgetDefinition
        {
            Id = id,
            Name = "Budget " + id,
            Scope = new PolicyScope { App = "search-api", Team = "search" },
            LimitUsd = limit,
            Thresholds = thresholds,
        },
        PeriodStart = s_periodStart,
        PeriodEnd = s_periodStart.AddMonths(1),
        SpentUsd = spent,
    };

    private sealed class FixedBudgetState(params BudgetStatus[] statuses) : IBudgetState
    {
        public IReadOnlyList<BudgetStatus> Statuses { get; set; } = statuses;

        public IReadOnlyList<BudgetStatus> Current => Statuses;

        public long Version => 1;
    }
}
