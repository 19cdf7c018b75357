namespace LlmMeter.Collector.Store;

internal static class StoreServiceCollectionExtensions
{
    /// <summary>Registers the configured <see cref="ICallStore"/> and migrates it at start, before Kestrel listens.</summary>
    public static IServiceCollection AddCallStore(this IServiceCollection services) => services; // TODO(store helper)
}
