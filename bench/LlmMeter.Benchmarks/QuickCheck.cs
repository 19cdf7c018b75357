using System.Diagnostics;

namespace LlmMeter.Benchmarks;

/// <summary>
/// A fast A/B cross-check for noisy machines (<c>-- quick</c>): bare and metered alternate in rounds over the
/// same transport, and the best round of each is kept, so background noise on a shared VM inflates neither.
/// </summary>
internal static class QuickCheck
{
    public static void Run()
    {
        var bench = new HttpClientOverheadBenchmarks();
        bench.Setup();
        Compare("Chat_2KB", bench.BareChat, bench.MeteredChat, calls: 100_000);
        Compare("Sse_200", bench.BareStream, bench.MeteredStream, calls: 10_000);
        Compare("Sse_200_CallerParsesJson", bench.BareStreamParsed, bench.MeteredStreamParsed, calls: 2_000);
        bench.Cleanup();
    }

    private static void Compare(string name, Func<Task<int>> bare, Func<Task<int>> metered, int calls)
    {
        double bestBare = double.MaxValue, bestMetered = double.MaxValue;
        for (var round = 0; round < 9; round++)
        {
            bestBare = Math.Min(bestBare, Time(bare, calls));
            bestMetered = Math.Min(bestMetered, Time(metered, calls));
        }

        Console.WriteLine($"{name,-26} bare {bestBare,9:F3} us  metered {bestMetered,9:F3} us  delta {bestMetered - bestBare,8:F3} us  ratio {bestMetered / bestBare:F3}");
    }

    private static double Time(Func<Task<int>> call, int calls)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            call().GetAwaiter().GetResult();
        }

        return watch.Elapsed.TotalMicroseconds / calls;
    }
}
