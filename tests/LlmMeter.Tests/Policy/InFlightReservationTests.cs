using System.Net;
using System.Text;
using LlmMeter.Policy;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace LlmMeter.Tests.Policy;

public sealed class InFlightReservationTests
{
    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Decide_CallsInFlightNearTheLimit_CountAtAverageCostAndBlockTheNextCall(SendMode mode)
    {
        // $1 budget at $0.90, calls cost $0.04. After one call ($0.94), two calls held in flight would bring it to
        // $1.02: the fourth call must be blocked before their cost is known, not after they overran the limit.
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        openRouter.Handle(async ctx =>
        {
            if (Interlocked.Increment(ref held) > 1)
            {
                await release.Task; // calls 2 and 3 stay in flight until the test lets them go
            }

            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(OpenRouterSamples.Chat("openai/gpt-4o", cost: "0.04"));
        });
        using var policy = LlmMeterPolicy.Fixed(new RoutingPolicy
        {
            GeneratedAt = DateTimeOffset.UnixEpoch,
            Budgets =
            [
                new PolicyBudget
                {
                    Id = "hard",
                    Name = "Hard",
                    LimitUsd = 1m,
                    SpentUsd = 0.90m,
                    PeriodEnd = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
                    Thresholds = [new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }],
                },
            ],
        });
        var sink = new CollectingSink();
        using var client = Metered.Client(openRouter.BaseAddress, sink, o => o.Policy = policy);

        using (var first = await Post(client, mode))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await sink.NextAsync();
        var second = Post(client, mode);
        var third = Post(client, mode);
        await WaitFor(() => openRouter.RequestBodies.Count == 3);

        using (var fourth = await Post(client, mode))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, fourth.StatusCode);
        }

        release.SetResult();
        using (var answer = await second)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        using (var answer = await third)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        Assert.Equal(3, openRouter.RequestBodies.Count);
    }

    // On its own thread: a synchronous call held in flight must not hold the test.
    private static Task<HttpResponseMessage> Post(HttpClient client, SendMode mode) =>
        Task.Run(() => client.PostAs(mode, "chat/completions", new StringContent("""{"model":"openai/gpt-4o","messages":[]}""", Encoding.UTF8, "application/json")));

    private static async Task WaitFor(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "Condition not met within 10 s.");
            await Task.Delay(10);
        }
    }
}
