using System.Text;
using Microsoft.AspNetCore.Http;
using LlmMeter.Pricing;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using LlmMeter.Tests.Pricing;

namespace LlmMeter.Tests.Record;

/// <summary>A stream aborted before its usage arrives is approximated from everything it streamed.</summary>
public sealed class RecordBuilderApproximationTests
{
    private const string Id = "gen-1760000020-rEaSoNiNgAbOrT01";
    private const string Model = "google/gemini-2.5-flash";
    private const string Request = """{"model":"google/gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Plan a three-day trip to Lisbon, with costs."}]}""";

    private static readonly ModelPriceCatalog s_catalog = CatalogSamples.Parse(CatalogSamples.Dump2025);

    [Fact]
    public async Task Build_ReasoningStreamAbortedHalfWay_CountsTheReasoningText()
    {
        // 40 reasoning deltas of 160 bytes each; reasoning_details repeats the text and is not counted twice.
        var chunks = Enumerable.Range(0, 40).Select(i => Event(ReasoningDelta(Thought(i)))).ToList();
        var sent = chunks.Take(20).ToList();
        var sentReasoning = Enumerable.Range(0, 20).Sum(i => Encoding.UTF8.GetByteCount(Thought(i)));

        var record = await AbortAfterAsync(sent, Thought(19));

        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Contains("tokens_approximated", record.Warnings!);
        var output = (sentReasoning + 3) / 4;
        Assert.Equal(output, record.OutputTokens);
        Assert.Equal(output, record.ReasoningTokens);
        Assert.Equal(LlmCostSource.Estimated, record.CostSource);
        Assert.Equal((record.InputTokens * 0.0000003m) + (output * 0.0000025m), record.CostUsd);
    }

    [Fact]
    public async Task Build_ToolCallStreamAborted_CountsTheArgumentsAsOutput()
    {
        string[] pieces = ["{\\\"city\\\":", "\\\"Lisbon\\\",", "\\\"days\\\":3"];
        var sent = new List<string>
        {
            Event("""{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_9f2","type":"function","function":{"name":"plan_trip","arguments":""}}]}"""),
        };
        sent.AddRange(pieces.Select(p => Event($$$"""{"tool_calls":[{"index":0,"function":{"arguments":"{{{p}}}"}}]}""")));
        var argumentBytes = pieces.Sum(p => p.Length); // Escapes counted as written.

        var record = await AbortAfterAsync(sent, "days");

        Assert.Equal((argumentBytes + 3) / 4, record.OutputTokens);
        Assert.Null(record.ReasoningTokens);
        Assert.Equal((record.InputTokens * 0.0000003m) + (record.OutputTokens * 0.0000025m), record.CostUsd);
    }

    [Fact]
    public async Task Build_ReasoningThenContentAborted_CountsBoth()
    {
        var sent = new List<string> { Event(ReasoningDelta(Thought(0))), Event(ReasoningDelta(Thought(1))) };
        sent.AddRange(Enumerable.Range(0, 5).Select(i => Event($$"""{"content":"Day {{i}}: Alfama and the castle. "}""")));
        var reasoning = Encoding.UTF8.GetByteCount(Thought(0) + Thought(1));
        var content = Enumerable.Range(0, 5).Sum(i => $"Day {i}: Alfama and the castle. ".Length);

        var record = await AbortAfterAsync(sent, "Day 4");

        Assert.Equal((reasoning + content + 3) / 4, record.OutputTokens);
        Assert.Equal((reasoning + 3) / 4, record.ReasoningTokens);
    }

    [Fact]
    public async Task Build_StreamAbortedAfterACachedCall_ApproximatesTheCachedShareOfThePrompt()
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var sink = new CollectingSink();
        using var http = Metered.Client(server.BaseAddress, sink, o => o.PriceCatalog = s_catalog);

        // The model's previous call: 2,161 of 2,168 prompt tokens from the cache (usage.cost as OpenRouter sends it).
        var answered = Transcripts.Chat("gen-1760000021-pReViOuScAlL0001", Model, "Google AI Studio", prompt: 2168, completion: 410, cached: 2161)
            .Replace("\"is_byok\":false", "\"cost\":0.0019,\"is_byok\":false", StringComparison.Ordinal);
        server.Handle(ctx =>
        {
            ctx.Response.ContentType = "application/json";
            return ctx.Response.WriteAsync(answered);
        });
        using (var first = await http.PostAsync("chat/completions", LlmMeterHandlerTests.Json(Request.Replace("\"stream\":true,", "", StringComparison.Ordinal))))
        {
            await first.Content.ReadAsStringAsync();
        }

        Assert.Equal(2161, (await sink.NextAsync()).CachedInputTokens);
        var never = new TaskCompletionSource();
        server.Stream([Event(ReasoningDelta(Thought(0))), Event("""{"content":"never sent"}""")], _ => never.Task);
        var response = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json(Request) }, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.Contains("Step 00", StringComparison.Ordinal))
        {
        }

        response.Dispose();
        var record = await sink.NextAsync();

        var input = record.InputTokens!.Value;
        var cached = (long)Math.Floor(input * (2161d / 2168));
        Assert.Equal(cached, record.CachedInputTokens);
        Assert.Equal(((input - cached) * 0.0000003m) + (cached * 0.00000003m) + (record.OutputTokens * 0.0000025m), record.CostUsd);
    }

    private static async Task<LlmCallRecord> AbortAfterAsync(List<string> sent, string lastMarker)
    {
        await using var server = await KestrelOpenRouter.StartAsync();
        var never = new TaskCompletionSource();
        server.Stream([.. sent, Event("""{"content":"never sent"}""")], i => i == sent.Count ? never.Task : Task.CompletedTask);
        var sink = new CollectingSink();
        using var http = Metered.Client(server.BaseAddress, sink, o => o.PriceCatalog = s_catalog);

        var response = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json(Request) }, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.Contains(lastMarker, StringComparison.Ordinal))
        {
        }

        response.Dispose();
        return await sink.SingleAsync();
    }

    private static string Thought(int i) =>
        $"Step {i:00}: weigh the tram, the metro and walking between Baixa, Alfama and Belem; keep the budget near ninety euros a day and note the museum closing hours too.";

    private static string ReasoningDelta(string text) =>
        $$$"""{"role":"assistant","content":"","reasoning":"{{{text}}}","reasoning_details":[{"type":"reasoning.text","text":"{{{text}}}","format":"unknown","index":0}]}""";

    private static string Event(string delta) =>
        Transcripts.Chunk(Id, Model, "Google AI Studio", delta, "null") + "\n\n";
}
