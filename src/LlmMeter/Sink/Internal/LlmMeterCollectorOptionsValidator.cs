using Microsoft.Extensions.Options;

namespace LlmMeter.Sink.Internal;

/// <summary>Checks <see cref="LlmMeterCollectorOptions"/> when a sink is built (and at start with DI).</summary>
internal sealed class LlmMeterCollectorOptionsValidator : IValidateOptions<LlmMeterCollectorOptions>
{
    /// <summary>The collector's default <c>Ingest:MaxRecordsPerRequest</c>.</summary>
    public const int MaxBatchSize = 5_000;

    private static readonly TimeSpan s_maxDuration = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_maxGiveUp = TimeSpan.FromDays(1);

    public static void ThrowIfInvalid(LlmMeterCollectorOptions options)
    {
        var result = new LlmMeterCollectorOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LlmMeterCollectorOptions), result.Failures);
        }
    }

    public ValidateOptionsResult Validate(string? name, LlmMeterCollectorOptions options)
    {
        var failures = new List<string>();
        if (options.Collector is not { IsAbsoluteUri: true } collector || (collector.Scheme != Uri.UriSchemeHttps && collector.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("LlmMeterCollectorOptions.Collector must be an absolute http or https URI, such as http://127.0.0.1:5080.");
        }

        // A header value HttpClient would refuse at every send (and the sink would retry forever) is refused here.
        if (options.IngestKey is { } key && (key.Length == 0 || key.Any(c => c is < '!' or > '~')))
        {
            failures.Add("LlmMeterCollectorOptions.IngestKey must be non-empty printable ASCII without spaces (null only for a collector without keys).");
        }

        if (options.BufferCapacity < 1)
        {
            failures.Add("LlmMeterCollectorOptions.BufferCapacity must be at least 1.");
        }

        if (options.BatchSize is < 1 or > MaxBatchSize)
        {
            failures.Add($"LlmMeterCollectorOptions.BatchSize must be between 1 and {MaxBatchSize}.");
        }

        if (options.FlushInterval <= TimeSpan.Zero || options.FlushInterval > s_maxDuration)
        {
            failures.Add("LlmMeterCollectorOptions.FlushInterval must be positive and at most one hour.");
        }

        if (options.MaxRetryDelay <= TimeSpan.Zero || options.MaxRetryDelay > s_maxDuration)
        {
            failures.Add("LlmMeterCollectorOptions.MaxRetryDelay must be positive and at most one hour.");
        }

        if (options.GiveUpRecordAfter <= TimeSpan.Zero || options.GiveUpRecordAfter > s_maxGiveUp)
        {
            failures.Add("LlmMeterCollectorOptions.GiveUpRecordAfter must be positive and at most one day.");
        }

        if (options.RequestTimeout < TimeSpan.FromMilliseconds(100) || options.RequestTimeout > s_maxDuration)
        {
            failures.Add("LlmMeterCollectorOptions.RequestTimeout must be between 100 milliseconds and one hour.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > s_maxDuration)
        {
            failures.Add("LlmMeterCollectorOptions.ShutdownTimeout must be between zero and one hour.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
