using LlmMeter.Policy;
using LlmMeter.Policy.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Tests.Policy;

public sealed class PolicyStateTests
{
    private static readonly IReadOnlyDictionary<string, string> s_noTags = new Dictionary<string, string>();

    [Fact]
    public void Reapply_RecentCostsOlderThanIngestLag_StopCountingTwice()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        var state = new PolicyState(time, ingestLag: TimeSpan.FromSeconds(5));
        state.Apply(Policy(spent: 0.95m));
        state.OnRecord(Call(0.04m)); // $0.99 known here

        // The collector has ingested that call: its $0.99 plus the call again (it may not have been there yet).
        state.Apply(Policy(spent: 0.99m));
        Assert.Equal(RoutingAction.Block, Decide(state).Action);

        // Nothing changed at the collector (304) but time passed: the call is surely in its figure now.
        time.Advance(TimeSpan.FromSeconds(6));
        state.Reapply();

        Assert.True(Decide(state).IsNone);
        Assert.Equal(0.99m, state.Current.Budgets[0].CurrentUsd);
    }

    [Fact]
    public void Apply_NewPolicyWhileCallsInFlight_KeepsThemCounted()
    {
        var state = new PolicyState(TimeProvider.System, TimeSpan.Zero);
        state.Apply(Policy(spent: 0.90m));
        state.OnRecord(Call(0.04m)); // the average call cost is now $0.04
        List<BudgetEntry>? matched = null;
        state.Current.Decide("app", s_noTags, "openai/gpt-4o", null, isFree: false, ref matched);
        matched![0].Reserve();
        matched[0].Reserve(); // two calls in flight: $0.08

        state.Apply(Policy(spent: 0.94m));

        Assert.Equal(RoutingAction.Block, Decide(state).Action); // 0.94 + 2 x 0.04 >= 1
        matched[0].Release();
        matched[0].Release();
        Assert.True(Decide(state).IsNone);
    }

    private static RoutingDecision Decide(PolicyState state) => state.Current.Decide("app", s_noTags, "openai/gpt-4o", null, isFree: false);

    private static RoutingPolicy Policy(decimal spent) => new()
    {
        GeneratedAt = DateTimeOffset.UnixEpoch,
        Budgets =
        [
            new PolicyBudget
            {
                Id = "hard",
                Name = "Hard",
                LimitUsd = 1m,
                SpentUsd = spent,
                PeriodEnd = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
                Thresholds = [new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }],
            },
        ],
    };

    private static LlmCallRecord Call(decimal cost) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        StartedAt = DateTimeOffset.UnixEpoch,
        App = "app",
        Endpoint = LlmEndpoints.ChatCompletions,
        Outcome = LlmCallOutcome.Success,
        ServedModel = "openai/gpt-4o",
        CostUsd = cost,
        CostSource = LlmCostSource.Reported,
    };
}
