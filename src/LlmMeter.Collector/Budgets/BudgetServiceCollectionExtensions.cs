using LlmMeter.Collector.Store;

namespace LlmMeter.Collector.Budgets;

internal static class BudgetServiceCollectionExtensions
{
    /// <summary>
    /// Registers budgets: the ledger the store charges at ingest (<see cref="ISpendLedger"/>), <see cref="IBudgetState"/>,
    /// the gauges, the event evaluator, and the start-up load of the configured (<c>Budgets</c> section) and stored
    /// budgets. Call it right after the store, so budgets are loaded before anything else writes.
    /// </summary>
    public static IServiceCollection AddBudgets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<BudgetLedger>();
        services.AddSingleton<ISpendLedger>(provider => provider.GetRequiredService<BudgetLedger>());
        services.AddSingleton<BudgetState>();
        services.AddSingleton<IBudgetState>(provider => provider.GetRequiredService<BudgetState>());
        services.AddSingleton<BudgetRepository>();
        services.AddSingleton<BudgetMetrics>();
        services.AddHostedService(provider => new BudgetStartup(
            provider.GetRequiredService<BudgetRepository>(),
            provider.GetRequiredService<BudgetState>(),
            configuration));
        services.AddHostedService<BudgetBackgroundService>();
        return services;
    }
}

/// <summary>Loads the budgets before the server listens; a bad configured budget stops start-up, naming the setting.</summary>
internal sealed class BudgetStartup(BudgetRepository repository, BudgetState state, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = BudgetConfiguration.Read(configuration);
        await repository.LoadAsync(configured, cancellationToken).ConfigureAwait(false);
        state.Refresh();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
