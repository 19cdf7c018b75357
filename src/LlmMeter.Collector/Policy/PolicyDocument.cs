using System.Security.Cryptography;
using System.Text.Json;
using LlmMeter.Collector.Budgets;
using LlmMeter.Policy;

namespace LlmMeter.Collector.Policy;

/// <summary>The serialised policy with its strong ETag (SHA-256 of exactly these bytes).</summary>
internal sealed record PolicySnapshot(byte[] Body, string ETag, byte[] ContentHash);

/// <summary>
/// Builds <c>GET /v1/policy</c>: routing budgets from <see cref="IBudgetState"/> (none while no budget service is
/// registered) and the alert overrides. <c>generated_at</c> is when this content was first served: while budgets,
/// spend and overrides stay the same, so do the bytes and the ETag, and pollers get 304s.
/// </summary>
internal sealed class PolicyDocument(IServiceProvider services, IRoutingOverrides overrides, TimeProvider time)
{
    private readonly Lazy<IBudgetState?> _budgets = new(services.GetService<IBudgetState>);
    private volatile PolicySnapshot? _last;

    public PolicySnapshot Current()
    {
        var content = new RoutingPolicy
        {
            GeneratedAt = DateTimeOffset.UnixEpoch, // left out of the comparison
            Budgets = RoutingBudgets(_budgets.Value?.Current ?? []),
            Overrides = overrides.Active,
        };
        var contentHash = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(content, LlmMeterPolicyJsonContext.Default.RoutingPolicy));
        var last = _last;
        if (last is not null && CryptographicOperations.FixedTimeEquals(last.ContentHash, contentHash))
        {
            return last;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(content with { GeneratedAt = time.GetUtcNow() }, LlmMeterPolicyJsonContext.Default.RoutingPolicy);
        var snapshot = new PolicySnapshot(body, "\"" + Convert.ToHexStringLower(SHA256.HashData(body)) + "\"", contentHash);
        _last = snapshot;
        return snapshot;
    }

    /// <summary>Budgets with at least one routing threshold, with only those thresholds; model maps in ordinal order so the bytes are stable.</summary>
    internal static PolicyBudget[] RoutingBudgets(IReadOnlyList<BudgetStatus> statuses) =>
    [
        .. statuses
            .Select(status => (status, thresholds: status.Budget.Thresholds.Where(t => t.Action != RoutingAction.Alert).OrderBy(t => t.Percent).Select(Stable).ToArray()))
            .Where(b => b.thresholds.Length > 0)
            .OrderBy(b => b.status.Budget.Id, StringComparer.Ordinal)
            .Select(b => new PolicyBudget
            {
                Id = b.status.Budget.Id,
                Name = b.status.Budget.Name,
                Scope = b.status.Budget.Scope,
                LimitUsd = b.status.Budget.LimitUsd,
                SpentUsd = b.status.SpentUsd,
                PeriodEnd = b.status.PeriodEnd.ToUniversalTime(),
                Thresholds = b.thresholds,
            }),
    ];

    private static PolicyThreshold Stable(PolicyThreshold threshold) => threshold.ModelMap is { } map
        ? threshold with { ModelMap = new SortedDictionary<string, string>(map.ToDictionary(), StringComparer.Ordinal) }
        : threshold;
}
