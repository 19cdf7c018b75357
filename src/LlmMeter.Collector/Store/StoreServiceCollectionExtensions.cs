using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Store.Sqlite;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Store;

internal static class StoreServiceCollectionExtensions
{
    /// <summary>Registers the configured <see cref="ICallStore"/> and migrates it at start, before Kestrel listens.</summary>
    public static IServiceCollection AddCallStore(this IServiceCollection services)
    {
        services.AddSingleton<ICallStore>(provider => new SqliteCallStore(
            provider.GetRequiredService<IOptions<CollectorOptions>>().Value.Store.SqlitePath,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<SqliteCallStore>>(),
            provider.GetService<ISpendLedger>()));
        // Hosted services registered before Build() start before the server, so no request meets an old schema.
        services.AddHostedService<StoreMigrationService>();
        return services;
    }
}

/// <summary>Migrates the store at start; a failure stops start-up.</summary>
internal sealed class StoreMigrationService(ICallStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
