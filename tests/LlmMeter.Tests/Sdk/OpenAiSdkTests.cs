using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace LlmMeter.Tests.Sdk;

/// <summary>The real OpenAI .NET SDK and Microsoft.Extensions.AI talking to a fake OpenRouter through the metered HttpClient.</summary>
public sealed class OpenAiSdkTests : IDisposable
{
    private const string ApiKey = "sk-test";

    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();
    private readonly HttpClient _http;

    public OpenAiSdkTests() => _http = Metered.Client(_openRouter.ApiRoot, _sink);

    public void Dispose()
    {
        _http.Dispose();
        _openRouter.Dispose();
    }

    [Fact]
    public async Task CompleteChatAsync_NonStreaming_RecordsServedModelProviderTokensAndReportedCost()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(
            "openai/gpt-4o-2024-05-13", id: "gen-sdk-1", provider: "Azure", prompt: 321, completion: 45, cost: "0.00123", content: "Hello from the fake."));
        var chat = NewChatClient("openai/gpt-4o");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Say hello.")]);

        Assert.Equal("Hello from the fake.", completion.Content[0].Text);
        var record = await _sink.SingleAsync();
        Assert.Equal("gen-sdk-1", record.Id);
        Assert.Equal(LlmEndpoints.ChatCompletions, record.Endpoint);
        Assert.Equal("openai/gpt-4o", record.RequestedModel);
        Assert.Equal("openai/gpt-4o-2024-05-13", record.ServedModel);
        Assert.False(record.FallbackUsed);
        Assert.Equal("Azure", record.Provider);
        Assert.False(record.Stream);
        Assert.Equal(200, record.StatusCode);
        Assert.Equal(321, record.InputTokens);
        Assert.Equal(45, record.OutputTokens);
        Assert.Equal(0.00123m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Null(record.ErrorType);

        // The SDK did send the key, and the record never carries it.
        Assert.Equal("Bearer " + ApiKey, _openRouter.Server.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
        var json = LlmMeterJson.Serialize(record);
        Assert.DoesNotContain(ApiKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain("authorization", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Bearer", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Say hello.", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task CompleteChatStreamingAsync_SseWithProcessingComments_YieldsTextAndRecordsUsageFromLastChunk(string newline)
    {
        _openRouter.Sse("chat/completions", OpenRouterSamples.StreamUsageOnEmptyChoices("openai/gpt-4o", newline));
        var chat = NewChatClient("openai/gpt-4o");

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Say hello.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal("Hello world", text.ToString());
        Assert.Equal(12, usage?.InputTokenCount);
        var record = await _sink.SingleAsync();
        Assert.Equal("gen-s1", record.Id);
        Assert.True(record.Stream);
        Assert.Equal("openai/gpt-4o", record.ServedModel);
        Assert.Equal("OpenAI", record.Provider);
        Assert.Equal(12, record.InputTokens);
        Assert.Equal(4, record.CachedInputTokens);
        Assert.Equal(2, record.OutputTokens);
        Assert.Equal(0.00042m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.NotNull(record.TtftMs);
        Assert.True(record.TtftMs <= record.LatencyMs, $"ttft {record.TtftMs} ms > latency {record.LatencyMs} ms");
        Assert.Null(record.Warnings);

        // The SDK asked for a stream; the request went out with it.
        var sent = Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies()));
        Assert.Contains("\"stream\":true", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsIChatClient_GetResponseAsync_RecordsCallWithScopeTags()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(
            "anthropic/claude-3.5-sonnet", id: "gen-meai-1", provider: "Anthropic", prompt: 77, completion: 9, cost: "0.0042", content: "Meai says hi."));
        using var client = NewChatClient("anthropic/claude-3.5-sonnet").AsIChatClient();

        ChatResponse response;
        using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "search" }))
        {
            response = await client.GetResponseAsync("Say hello.");
        }

        Assert.Equal("Meai says hi.", response.Text);
        Assert.Equal(77, response.Usage?.InputTokenCount);
        var record = await _sink.SingleAsync();
        Assert.Equal("gen-meai-1", record.Id);
        Assert.Equal("anthropic/claude-3.5-sonnet", record.RequestedModel);
        Assert.Equal("anthropic/claude-3.5-sonnet", record.ServedModel);
        Assert.Equal("Anthropic", record.Provider);
        Assert.False(record.Stream);
        Assert.Equal(77, record.InputTokens);
        Assert.Equal(9, record.OutputTokens);

        // Microsoft.Extensions.AI never maps cost: it comes from the raw body.
        Assert.Equal(0.0042m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("search", record.Tags["team"]);

        // Outside the scope the tag is gone again.
        await client.GetResponseAsync("Again.");
        var second = await _sink.NextAsync();
        Assert.False(second.Tags.ContainsKey("team"));
    }

    [Fact]
    public async Task AsIChatClient_GetStreamingResponseAsync_RecordsStreamWithScopeTags()
    {
        _openRouter.Sse("chat/completions", OpenRouterSamples.StreamUsageOnOneChoice());
        using var client = NewChatClient("anthropic/claude-3.5-sonnet").AsIChatClient();

        var text = new StringBuilder();
        using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "search" }))
        {
            await foreach (var update in client.GetStreamingResponseAsync("Say hi."))
            {
                text.Append(update.Text);
            }
        }

        Assert.Equal("Hi!", text.ToString());
        var record = await _sink.SingleAsync();
        Assert.Equal("gen-s2", record.Id);
        Assert.True(record.Stream);
        Assert.Equal("anthropic/claude-3.5-sonnet", record.ServedModel);
        Assert.Equal("Anthropic", record.Provider);
        Assert.Equal(30, record.InputTokens);
        Assert.Equal(10, record.CacheWriteTokens);
        Assert.Equal(3, record.OutputTokens);
        Assert.Equal(1, record.ReasoningTokens);
        Assert.Equal(0.000135m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.NotNull(record.TtftMs);
        Assert.True(record.TtftMs <= record.LatencyMs, $"ttft {record.TtftMs} ms > latency {record.LatencyMs} ms");
        Assert.Equal("search", record.Tags["team"]);
    }

    private ChatClient NewChatClient(string model)
    {
        var options = new OpenAIClientOptions
        {
            // As OpenRouter's docs spell it: the API root without a trailing slash.
            Endpoint = new Uri(_openRouter.ApiRoot.AbsoluteUri.TrimEnd('/')),
            Transport = new HttpClientPipelineTransport(_http),
        };
        return new ChatClient(model, new ApiKeyCredential(ApiKey), options);
    }
}
