using LlmMeter.Collector.Hosting;

await using var app = CollectorApp.Create(args);
await app.RunAsync().ConfigureAwait(false);
