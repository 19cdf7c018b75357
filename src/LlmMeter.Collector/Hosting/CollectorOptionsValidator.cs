using LlmMeter.Collector.Auth;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Hosting;

/// <summary>Checks every setting at start; each failure names the setting as it is written in configuration.</summary>
internal sealed class CollectorOptionsValidator : IValidateOptions<CollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, CollectorOptions options)
    {
        var errors = new List<string>();
        if (options.Store.Provider is not ("sqlite"))
        {
            errors.Add($"Store:Provider must be 'sqlite' (got '{options.Store.Provider}').");
        }

        if (string.IsNullOrWhiteSpace(options.Store.SqlitePath))
        {
            errors.Add("Store:SqlitePath must name a file.");
        }

        CheckKey(errors, "Keys:Ingest", options.Keys.Ingest);
        CheckKey(errors, "Keys:Read", options.Keys.Read);
        CheckKey(errors, "Keys:Admin", options.Keys.Admin);
        CheckKey(errors, "Keys:Metrics", options.Keys.Metrics);
        if (KeyRule.Normalize(options.Keys.Metrics) is not null
            && new[] { options.Keys.Ingest, options.Keys.Read, options.Keys.Admin }.All(key => KeyRule.Normalize(key) is null))
        {
            // Alone it would lock every other endpoint (keys on, none to use) while looking like a scrape setting.
            errors.Add("Keys:Metrics only opens /metrics: configure Keys:Admin (or Keys:Ingest and Keys:Read) with it.");
        }

        if (options.Ingest.MaxRecordsPerRequest is < 1 or > 100_000)
        {
            errors.Add($"Ingest:MaxRecordsPerRequest must be between 1 and 100000 (got {options.Ingest.MaxRecordsPerRequest}).");
        }

        if (options.Ingest.MaxRequestBytes is < 1024 or > 256L * 1024 * 1024)
        {
            errors.Add($"Ingest:MaxRequestBytes must be between 1024 and 268435456 (got {options.Ingest.MaxRequestBytes}).");
        }

        if (options.Metrics.MaxLabelValues is < 1 or > 100_000)
        {
            errors.Add($"Metrics:MaxLabelValues must be between 1 and 100000 (got {options.Metrics.MaxLabelValues}).");
        }

        var reconciliation = options.Reconciliation;
        if (!reconciliation.OpenRouterBaseAddress.IsAbsoluteUri || reconciliation.OpenRouterBaseAddress.Scheme is not ("http" or "https"))
        {
            errors.Add($"Reconciliation:OpenRouterBaseAddress must be an absolute http(s) URL (got '{reconciliation.OpenRouterBaseAddress}').");
        }

        if (reconciliation.Interval <= TimeSpan.Zero)
        {
            errors.Add($"Reconciliation:Interval must be positive (got {reconciliation.Interval}).");
        }

        if (reconciliation.GiveUpAfter <= TimeSpan.Zero)
        {
            errors.Add($"Reconciliation:GiveUpAfter must be positive (got {reconciliation.GiveUpAfter}).");
        }

        if (reconciliation.BatchSize is < 1 or > 1_000)
        {
            errors.Add($"Reconciliation:BatchSize must be between 1 and 1000 (got {reconciliation.BatchSize}).");
        }

        options.Alerts.Validate(errors);
        options.Receivers.Validate(errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckKey(List<string> errors, string setting, string? key)
    {
        if (KeyRule.Check(setting, key) is { } error)
        {
            errors.Add(error);
        }
    }
}
