namespace LlmMeter.Collector.Reconciliation;

internal static class ReconciliationExtensions
{
    public static IServiceCollection AddReconciliation(this IServiceCollection services) => services; // TODO(reconciliation helper)
}
