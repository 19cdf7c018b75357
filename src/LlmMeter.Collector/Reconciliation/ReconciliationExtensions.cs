namespace LlmMeter.Collector.Reconciliation;

internal static class ReconciliationExtensions
{
    /// <summary>
    /// Registers the cost reconciliation job (<see cref="CostReconciler"/>) and its named HttpClient for
    /// OpenRouter's generation endpoint. Without an OpenRouter key the job logs that it is off and ends.
    /// </summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services)
    {
        services.AddHttpClient(GenerationClient.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<GenerationClient>();
        services.AddHostedService<CostReconciler>();
        return services;
    }
}
