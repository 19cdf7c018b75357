if (args is ["quick"])
{
    LlmMeter.Benchmarks.QuickCheck.Run();
    return;
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
