namespace LlmMeter.Tests;

public sealed class LlmMeterContextTests
{
    [Fact]
    public async Task BeginScope_Nested_InnerWinsAndFlowsThroughAwaitAndRestores()
    {
        Assert.Empty(LlmMeterContext.CurrentTags);
        using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "search", ["feature"] = "a" }))
        {
            using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["feature"] = "b" }))
            {
                var seen = await Task.Run(async () =>
                {
                    await Task.Yield();
                    return LlmMeterContext.CurrentTags;
                });
                Assert.Equal(new Dictionary<string, string> { ["team"] = "search", ["feature"] = "b" }, seen);
            }

            Assert.Equal("a", LlmMeterContext.CurrentTags["feature"]);
        }

        Assert.Empty(LlmMeterContext.CurrentTags);
    }

    [Fact]
    public async Task BeginScope_ParallelFlows_DoNotSeeEachOther()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            using var scope = LlmMeterContext.BeginScope(new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            await Task.Yield();
            return LlmMeterContext.CurrentTags["n"];
        })));

        Assert.Equal(Enumerable.Range(0, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), results);
    }

    [Fact]
    public void BeginScope_EmptyKey_Throws() =>
        Assert.Throws<ArgumentException>(() => LlmMeterContext.BeginScope(new Dictionary<string, string> { [" "] = "x" }));
}
