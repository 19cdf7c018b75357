using System.Globalization;
using LlmMeter.Benchmarks;
using LlmMeter.Benchmarks.Collector;

switch (args)
{
    case ["quick"]:
        QuickCheck.Run();
        return;
    case ["large-token", ..]:
        LargeTokenBenchmarks.Quick(tokenMegabytes: (int)Arg(args, 1, 16));
        return;
    case ["collector-ingest", ..]:
        await CollectorBench.IngestAsync(records: (int)Arg(args, 1, 300_000), clients: (int)Arg(args, 2, 8), arrivalOrder: args.Contains("--arrival-order")).ConfigureAwait(false);
        return;
    case ["budget-overshoot", ..]:
        await BudgetOvershootBench.RunAsync(costPerCall: args.Length > 1 ? decimal.Parse(args[1], CultureInfo.InvariantCulture) : 0.003m, clients: 4, callsPerSecond: 50).ConfigureAwait(false);
        return;
    case ["collector-parts"]:
        IngestParts.Run();
        return;
    case ["collector-spend", ..]:
        await CollectorBench.SpendAsync(records: Arg(args, 1, 10_000_000), folder: args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "llmmeter-bench", "spend")).ConfigureAwait(false);
        return;
    default:
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(QuickCheck).Assembly).Run(args);
        return;
}

static long Arg(string[] args, int index, long fallback) =>
    args.Length > index ? long.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
