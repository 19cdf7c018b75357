using LlmMeter.Collector.Hosting;
using Microsoft.Extensions.Options;

try
{
    await using var app = CollectorApp.Create(args);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException { Source: "LlmMeter.Collector" })
{
    // A configuration mistake: say what to fix, without a stack trace.
    await Console.Error.WriteLineAsync($"LlmMeter collector cannot start: {ex.Message}").ConfigureAwait(false);
    return 1;
}
