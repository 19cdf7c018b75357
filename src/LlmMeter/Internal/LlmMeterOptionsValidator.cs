using Microsoft.Extensions.Options;

namespace LlmMeter.Internal;

/// <summary>Checks <see cref="LlmMeterOptions"/> once, when a handler is built (and at start with DI).</summary>
internal sealed class LlmMeterOptionsValidator : IValidateOptions<LlmMeterOptions>
{
    public static void ThrowIfInvalid(LlmMeterOptions options)
    {
        var result = new LlmMeterOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LlmMeterOptions), result.Failures);
        }
    }

    public ValidateOptionsResult Validate(string? name, LlmMeterOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.App) || options.App.Length > TagRules.MaxLength)
        {
            failures.Add($"LlmMeterOptions.App must be a non-empty name of at most {TagRules.MaxLength} characters.");
        }

        if (options.BaseAddress is not { IsAbsoluteUri: true } baseAddress || (baseAddress.Scheme != Uri.UriSchemeHttps && baseAddress.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("LlmMeterOptions.BaseAddress must be an absolute http or https URI, such as https://openrouter.ai/api/v1.");
        }

        foreach (var (key, value) in options.DefaultTags)
        {
            if (!TagRules.IsValid(key, value))
            {
                failures.Add($"LlmMeterOptions.DefaultTags['{key}'] is invalid: {TagRules.Rule}.");
            }
        }

        if (options.PriceCatalogRefreshInterval < TimeSpan.FromMinutes(1))
        {
            failures.Add("LlmMeterOptions.PriceCatalogRefreshInterval must be at least one minute.");
        }

        if (options.PriceCatalogFile is { Length: > 0 } file && !File.Exists(file))
        {
            failures.Add($"LlmMeterOptions.PriceCatalogFile '{file}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
