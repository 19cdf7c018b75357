using BenchmarkDotNet.Attributes;
using LlmMeter.Policy;
using LlmMeter.Policy.Internal;

namespace LlmMeter.Benchmarks;

/// <summary>
/// The per-call routing decision (goal: at most 200 ns and no allocation when no rule matches), over a policy of
/// 20 budgets (scoped by app, team, tag and model glob, each with downgrade and block thresholds) and 5 alert overrides.
/// </summary>
[MemoryDiagnoser]
public class PolicyDecisionBenchmarks
{
    private readonly IReadOnlyDictionary<string, string> _tags = new Dictionary<string, string> { ["team"] = "search", ["feature"] = "summarize", ["env"] = "prod" };
    private CompiledPolicy _policy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var budgets = Enumerable.Range(0, 20).Select(i => new PolicyBudget
        {
            Id = $"budget-{i}",
            Name = $"Budget {i}",
            // Half the budgets match app and team but not the model glob; the rest are other teams.
            Scope = new PolicyScope { App = "search-api", Team = i % 2 == 0 ? "search" : $"team-{i}", Model = $"vendor{i}/*", Tag = i % 3 == 0 ? "env=prod" : null },
            LimitUsd = 100,
            SpentUsd = 99,
            PeriodEnd = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
            Thresholds =
            [
                new PolicyThreshold { Percent = 80, Action = RoutingAction.Downgrade, ModelMap = new Dictionary<string, string> { ["*"] = "vendor/cheap" } },
                new PolicyThreshold { Percent = 100, Action = RoutingAction.Block },
            ],
        }).ToList();
        var overrides = Enumerable.Range(0, 5).Select(i => new PolicyOverride
        {
            Id = $"alertmanager:{i}",
            Action = RoutingAction.Downgrade,
            Scope = new PolicyScope { Team = $"other-{i}" },
            DowngradeTo = "vendor/cheap",
        }).ToList();
        _policy = new CompiledPolicy(new RoutingPolicy { GeneratedAt = DateTimeOffset.UnixEpoch, Budgets = budgets, Overrides = overrides });
        if (!Decide().IsNone || DecideMatching().IsNone)
        {
            throw new InvalidOperationException("The benchmark policy does not behave as intended.");
        }
    }

    [Benchmark(Baseline = true)]
    public bool NoRuleMatches() => Decide().IsNone;

    [Benchmark]
    public bool RuleMatches() => DecideMatching().IsNone;

    private RoutingDecision Decide() => _policy.Decide("search-api", _tags, "openai/gpt-4o", null, isFree: false);

    private RoutingDecision DecideMatching() => _policy.Decide("search-api", _tags, "vendor4/model-x", null, isFree: false);
}
