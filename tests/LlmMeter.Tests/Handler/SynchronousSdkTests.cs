using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using LlmMeter.Policy;
using LlmMeter.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace LlmMeter.Tests.Handler;

/// <summary>
/// The OpenAI SDK's synchronous methods go through <see cref="HttpClient.Send(HttpRequestMessage)"/> with a body the
/// SDK writes itself (not replayable): the synchronous path reads it, routes it and sends it unchanged.
/// </summary>
public sealed class SynchronousSdkTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Fact]
    public void Send_SdkCompleteChat_RequestReadAndSentAsTheSdkWroteIt()
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o-2024-05-13", id: "gen-sync-1", prompt: 321, completion: 45, cost: "0.00123", content: "Hello."));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        ChatCompletion completion = NewChatClient(http, "openai/gpt-4o").CompleteChat([new UserChatMessage("Say hello.")]);

        Assert.Equal("Hello.", completion.Content[0].Text);
        var record = Assert.Single(_sink.Records);
        Assert.Equal("gen-sync-1", record.Id);
        Assert.Equal("openai/gpt-4o", record.RequestedModel);
        Assert.Equal(321, record.InputTokens);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Null(record.Warnings);
        var sent = Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies()));
        Assert.Contains("\"model\":\"openai/gpt-4o\"", sent, StringComparison.Ordinal);
        Assert.Contains("Say hello.", sent, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_SdkCompleteChatStreamingUnderDowngrade_CheaperModelSentAndStreamMetered()
    {
        _openRouter.Sse("chat/completions", OpenRouterSamples.StreamUsageOnEmptyChoices("openai/gpt-4o-mini"));
        using var policy = LlmMeterPolicy.Fixed(new RoutingPolicy
        {
            GeneratedAt = DateTimeOffset.UnixEpoch,
            Overrides = [new PolicyOverride { Id = "alertmanager:sync", Name = "SpendBurn", Action = RoutingAction.Downgrade, DowngradeTo = "openai/gpt-4o-mini" }],
        });
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.Policy = policy);

        var text = new StringBuilder();
        foreach (var update in NewChatClient(http, "openai/gpt-4o").CompleteChatStreaming([new UserChatMessage("Say hello.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal("Hello world", text.ToString());
        var sent = Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies()));
        Assert.Contains("\"model\":\"openai/gpt-4o-mini\"", sent, StringComparison.Ordinal);
        Assert.Contains("\"stream\":true", sent, StringComparison.Ordinal);
        var record = Assert.Single(_sink.Records);
        Assert.Equal("openai/gpt-4o-mini", record.RequestedModel);
        Assert.Equal("openai/gpt-4o", record.Routing?.OriginalModel);
        Assert.True(record.Stream);
        Assert.Equal(12, record.InputTokens);
        Assert.NotNull(record.TtftMs);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    private ChatClient NewChatClient(HttpClient http, string model) => new(
        model,
        new ApiKeyCredential("sk-test"),
        new OpenAIClientOptions
        {
            Endpoint = new Uri(_openRouter.ApiRoot.AbsoluteUri.TrimEnd('/')),
            Transport = new HttpClientPipelineTransport(http),
        });
}
