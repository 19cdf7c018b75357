using System.Text.Json;
using LlmMeter.Policy;
using LlmMeter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Policy;

public sealed class PolicyPollingTests
{
    private static readonly RoutingPolicy s_policy = new()
    {
        GeneratedAt = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero),
        Overrides = [new PolicyOverride { Id = "grafana:1", Action = RoutingAction.Block }],
    };

    [Fact]
    public async Task RefreshAsync_ETag_SecondPollSendsIfNoneMatchAndKeepsPolicy()
    {
        await using var collector = await KestrelOpenRouter.StartAsync();
        var ifNoneMatch = new List<string>();
        collector.Handle(ctx => ServePolicy(ctx, ifNoneMatch));
        var time = new FakeTimeProvider(s_policy.GeneratedAt);
        await using var policy = new LlmMeterPolicy(Options(collector), time);

        Assert.True(await policy.RefreshAsync());
        Assert.True(await policy.RefreshAsync());

        Assert.Contains("\"v1\"", ifNoneMatch);
        Assert.Equal("grafana:1", Assert.Single(policy.State.Current.Source.Overrides).Id);
        Assert.Equal("Bearer read-key-0123456789", collector.RequestHeaders.Last()["Authorization"].ToString());
    }

    [Fact]
    public async Task PollLoop_CollectorDownLongerThanKeepFor_RulesSuspended()
    {
        await using var collector = await KestrelOpenRouter.StartAsync();
        var up = true;
        collector.Handle(ctx => up ? ServePolicy(ctx, []) : Fail(ctx));
        var time = new FakeTimeProvider(s_policy.GeneratedAt);
        await using var policy = new LlmMeterPolicy(Options(collector), time);
        await WaitFor(() => policy.State.FetchedAt is not null);

        up = false;
        await AdvanceUntil(time, () => collector.RequestHeaders.Count >= 2); // A failed poll within KeepLastPolicyFor: the policy stays.
        Assert.Single(policy.State.Current.Source.Overrides);
        Assert.True(time.GetUtcNow() - s_policy.GeneratedAt < TimeSpan.FromMinutes(1));

        await AdvanceUntil(time, () => policy.State.FetchedAt is null);
        Assert.True(time.GetUtcNow() - s_policy.GeneratedAt > TimeSpan.FromMinutes(1));
        Assert.Empty(policy.State.Current.Source.Overrides);
    }

    private static LlmMeterPolicyOptions Options(KestrelOpenRouter collector) => new()
    {
        Collector = new Uri(collector.BaseAddress, "/"),
        ReadKey = "read-key-0123456789",
        PollInterval = TimeSpan.FromSeconds(5),
        KeepLastPolicyFor = TimeSpan.FromMinutes(1),
    };

    private static async Task ServePolicy(HttpContext ctx, List<string> ifNoneMatch)
    {
        var seen = ctx.Request.Headers.IfNoneMatch.ToString();
        lock (ifNoneMatch)
        {
            ifNoneMatch.Add(seen);
        }

        ctx.Response.Headers.ETag = "\"v1\"";
        if (seen == "\"v1\"")
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(s_policy, LlmMeterPolicyJsonContext.Default.RoutingPolicy));
    }

    private static Task Fail(HttpContext ctx)
    {
        ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "Condition not met within 10 s.");
            await Task.Delay(10);
        }
    }

    // The poll loop waits on the fake clock: move it a second at a time until the loop has done what we wait for.
    private static async Task AdvanceUntil(FakeTimeProvider time, Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "Condition not met within 10 s.");
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
    }
}
