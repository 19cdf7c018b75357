using System.Globalization;
using LlmMeter.Record.Internal;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Record;

/// <summary>Whatever a response or request holds, the record stays within <see cref="RecordLimits"/> and says what it changed.</summary>
public sealed class RecordBuilderLimitsTests : IDisposable
{
    private static readonly string s_megabyte = new('m', 1024 * 1024);

    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Fact]
    public async Task SendAsync_MegabyteModelProviderAndFinishReason_CutWithMarkerAndWarnings()
    {
        _openRouter.Json("chat/completions", Response(model: s_megabyte, provider: s_megabyte, finish: s_megabyte));

        var record = await CallAsync($$"""{"model":"{{s_megabyte}}","messages":[]}""");

        Assert.Equal(RecordLimits.MaxModelLength, record.ServedModel!.Length);
        Assert.EndsWith(RecordLimits.CutMarker.ToString(), record.ServedModel, StringComparison.Ordinal);
        Assert.Equal(RecordLimits.MaxModelLength, record.RequestedModel!.Length);
        Assert.Equal(RecordLimits.MaxProviderLength, record.Provider!.Length);
        Assert.Equal(RecordLimits.MaxFinishReasonLength, record.FinishReason!.Length);
        Assert.Contains("served_model_truncated", record.Warnings!);
        Assert.Contains("requested_model_truncated", record.Warnings!);
        Assert.Contains("provider_truncated", record.Warnings!);
        Assert.Contains("finish_reason_truncated", record.Warnings!);
        AssertWithinLimits(record);
    }

    [Fact]
    public async Task SendAsync_UsageOutOfRange_DroppedWithWarningsAndNoCostFromThem()
    {
        _openRouter.Json("chat/completions", Response(prompt: "9223372036854775807", completion: "-5", cost: "1e9", cached: "1000000001"));

        var record = await CallAsync("""{"model":"openai/gpt-4o","messages":[]}""");

        Assert.Null(record.InputTokens);
        Assert.Null(record.OutputTokens);
        Assert.Null(record.CachedInputTokens);
        Assert.Null(record.CostUsd);
        Assert.Equal(LlmCostSource.None, record.CostSource);
        Assert.Contains("input_tokens_out_of_range", record.Warnings!);
        Assert.Contains("output_tokens_out_of_range", record.Warnings!);
        Assert.Contains("cached_input_tokens_out_of_range", record.Warnings!);
        Assert.Contains("cost_usd_out_of_range", record.Warnings!);
        AssertWithinLimits(record);
    }

    [Fact]
    public async Task SendAsync_UsageAtTheLimits_KeptAsReported()
    {
        _openRouter.Json("chat/completions", Response(prompt: "1000000000", completion: "0", cost: "10000"));

        var record = await CallAsync("""{"model":"openai/gpt-4o","messages":[]}""");

        Assert.Equal((1_000_000_000L, 0L, 10_000m), (record.InputTokens, record.OutputTokens, record.CostUsd));
        Assert.Null(record.Warnings);
    }

    [Fact]
    public async Task SendAsync_LongModelsAndProvidersLists_CutTo64EntriesWithWarnings()
    {
        var models = string.Join(',', Enumerable.Range(0, 100).Select(i => $"\"vendor/model-{i}{new string('x', 300)}\""));
        var providers = string.Join(',', Enumerable.Range(0, 100).Select(i => $"\"P{i}\\u0001\""));
        _openRouter.Json("chat/completions", Response(model: "openai/gpt-4o"));

        var record = await CallAsync($$"""{"models":[{{models}}],"provider":{"order":[{{providers}}]},"messages":[]}""");

        Assert.Equal(RecordLimits.MaxListEntries, record.FallbackModels!.Count);
        Assert.All(record.FallbackModels, m => Assert.Equal(RecordLimits.MaxModelLength, m.Length));
        Assert.Equal(RecordLimits.MaxListEntries, record.RequestedProviders!.Count);
        Assert.Equal("P0\uFFFD", record.RequestedProviders[0]);
        Assert.Contains("fallback_models_truncated", record.Warnings!);
        Assert.Contains("requested_providers_truncated", record.Warnings!);
        AssertWithinLimits(record);
    }

    [Fact]
    public async Task SendAsync_GenerationIdTooLong_LocalIdAndWarning()
    {
        _openRouter.Json("chat/completions", Response(id: "gen-" + new string('i', 300)));

        var record = await CallAsync("""{"model":"openai/gpt-4o","messages":[]}""");

        Assert.StartsWith("llmm-", record.Id, StringComparison.Ordinal);
        Assert.Contains("id_invalid", record.Warnings!);
        AssertWithinLimits(record);
    }

    [Fact]
    public async Task SendAsync_ControlCharactersInTheServedModel_ReplacedAndWarned()
    {
        _openRouter.Json("chat/completions", Response(model: "openai/gpt\\u0000-4o\\u0085"));

        var record = await CallAsync("""{"model":"openai/gpt-4o","messages":[]}""");

        Assert.Equal("openai/gpt\uFFFD-4o\uFFFD", record.ServedModel);
        Assert.Contains("served_model_cleaned", record.Warnings!);
        AssertWithinLimits(record);
    }

    [Fact]
    public void BeginScope_TagWithControlCharacter_Throws() =>
        Assert.Throws<ArgumentException>(() => LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "a\tb" }));

    /// <summary>Every field within its limit, as the collector checks it (its validator runs on such records in the collector tests).</summary>
    internal static void AssertWithinLimits(LlmCallRecord record)
    {
        Assert.InRange(record.Id.Length, 1, RecordLimits.MaxIdLength);
        foreach (var (value, max) in new[]
        {
            (record.Id, RecordLimits.MaxIdLength), (record.App, RecordLimits.MaxAppLength), (record.RequestedModel, RecordLimits.MaxModelLength),
            (record.ServedModel, RecordLimits.MaxModelLength), (record.Provider, RecordLimits.MaxProviderLength), (record.FinishReason, RecordLimits.MaxFinishReasonLength),
        })
        {
            Assert.True(value is null || RecordLimits.Fits(value, max), $"'{value?[..Math.Min(40, value.Length)]}' beyond {max}");
        }

        foreach (var (list, entries, max) in new[]
        {
            (record.FallbackModels, RecordLimits.MaxListEntries, RecordLimits.MaxModelLength),
            (record.RequestedProviders, RecordLimits.MaxListEntries, RecordLimits.MaxProviderLength),
            (record.Warnings, RecordLimits.MaxWarnings, RecordLimits.MaxWarningLength),
        })
        {
            Assert.True(list is null || (list.Count <= entries && list.All(v => RecordLimits.Fits(v, max))));
        }

        foreach (var count in new[] { record.InputTokens, record.CachedInputTokens, record.CacheWriteTokens, record.OutputTokens, record.ReasoningTokens })
        {
            Assert.True(count is null or >= 0 and <= RecordLimits.MaxTokens);
        }

        Assert.True(record.CostUsd is null or >= 0m and <= RecordLimits.MaxCostUsd);
        Assert.InRange(record.LatencyMs, 0, RecordLimits.MaxDurationMs);
    }

    private async Task<LlmCallRecord> CallAsync(string request)
    {
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);
        using var response = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json(request));
        await response.Content.ReadAsStringAsync();
        return await _sink.SingleAsync();
    }

    private static string Response(
        string id = "gen-limits-1",
        string model = "openai/gpt-4o",
        string provider = "OpenAI",
        string finish = "stop",
        string prompt = "10",
        string completion = "5",
        string cached = "0",
        string cost = "0.001") =>
        string.Create(CultureInfo.InvariantCulture, $$$$"""
            {"id":"{{{{id}}}}","object":"chat.completion","created":1785175967,"model":"{{{{model}}}}","provider":"{{{{provider}}}}",
             "choices":[{"index":0,"finish_reason":"{{{{finish}}}}","message":{"role":"assistant","content":"Hi."}}],
             "usage":{"prompt_tokens":{{{{prompt}}}},"completion_tokens":{{{{completion}}}},"cost":{{{{cost}}}},"prompt_tokens_details":{"cached_tokens":{{{{cached}}}}}}}
            """);
}
