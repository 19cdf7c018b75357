using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using LlmMeter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using OpenAI;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The SDK marks its Responses API client experimental.

namespace LlmMeter.Tests.Responses;

/// <summary>The real OpenAI .NET SDK's <see cref="ResponsesClient"/> against a stand-in OpenRouter on Kestrel.</summary>
public sealed class ResponsesSdkTests : IAsyncLifetime
{
    private const string ApiKey = "sk-or-test-responses";

    private readonly CollectingSink _sink = new();
    private KestrelOpenRouter _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await KestrelOpenRouter.StartAsync();
        _http = Metered.Client(_server.BaseAddress, _sink);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task CreateResponseAsync_NonStreaming_RecordsEndpointTokensCostAndServedModel()
    {
        Answer(ResponsesSamples.Answer());

        ResponseResult result = await Client().CreateResponseAsync(ResponsesSamples.Model, "What is the meaning of life?");

        Assert.Equal("Hello world", result.GetOutputText());
        Assert.Equal(15, result.Usage.InputTokenCount);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.Equal(ResponsesSamples.Id, record.Id);
        Assert.Equal(ResponsesSamples.Model, record.RequestedModel);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
        Assert.False(record.FallbackUsed);
        Assert.Equal("OpenAI", record.Provider);
        Assert.False(record.Stream);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal(15, record.InputTokens);
        Assert.Equal(212, record.OutputTokens);
        Assert.Equal(192, record.ReasoningTokens);
        Assert.Equal(0.0009493m, record.CostUsd);

        // The SDK sent the key and the prompt; the record carries neither.
        Assert.True(_server.RequestHeaders.TryPeek(out var headers));
        Assert.Equal("Bearer " + ApiKey, headers["Authorization"].ToString());
        var json = LlmMeterJson.Serialize(record);
        Assert.DoesNotContain(ApiKey, json, StringComparison.Ordinal);
        Assert.DoesNotContain("meaning of life", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateResponse_SyncPath_RecordsTheResponse()
    {
        Answer(ResponsesSamples.Answer());

        ResponseResult result = Client().CreateResponse(ResponsesSamples.Model, "What is the meaning of life?");

        Assert.Equal("Hello world", result.GetOutputText());
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
        Assert.Equal(15, record.InputTokens);
        Assert.Equal(212, record.OutputTokens);
        Assert.Equal(0.0009493m, record.CostUsd);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    [Fact]
    public async Task CreateResponseStreamingAsync_Stream_YieldsTextAndRecordsUsageCostIdAndTtft()
    {
        _server.Stream(StreamPieces(ResponsesSamples.Stream(eventLines: true)));

        var text = new StringBuilder();
        ResponseTokenUsage? usage = null;
        await foreach (var update in await Client().CreateResponseStreamingAsync(ResponsesSamples.Model, "Say hello."))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate completed)
            {
                usage = completed.Response.Usage;
            }
        }

        Assert.Equal("Hello world", text.ToString());
        Assert.Equal(30, usage!.OutputTokenCount);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.True(record.Stream);
        Assert.Equal(ResponsesSamples.Id, record.Id);
        Assert.Equal(ResponsesSamples.ServedModel, record.ServedModel);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(21, record.InputTokens);
        Assert.Equal(8, record.CachedInputTokens);
        Assert.Equal(30, record.OutputTokens);
        Assert.Equal(27, record.ReasoningTokens);
        Assert.Equal(0.0001452m, record.CostUsd);
        Assert.NotNull(record.TtftMs);
        Assert.True(record.TtftMs <= record.LatencyMs);
    }

    [Fact]
    public async Task CreateResponseStreamingAsync_Incomplete_RecordsSuccessWithLengthFinish()
    {
        _server.Stream(StreamPieces(ResponsesSamples.Stream(terminal: "incomplete", done: true)));

        StreamingResponseUpdate? last = null;
        await foreach (var update in await Client().CreateResponseStreamingAsync(ResponsesSamples.Model, "Say hello."))
        {
            last = update;
        }

        Assert.IsType<StreamingResponseIncompleteUpdate>(last);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Equal("length", record.FinishReason);
        Assert.Equal(16, record.OutputTokens);
    }

    [Fact]
    public async Task CreateResponseStreamingAsync_Failed_RecordsStreamError()
    {
        _server.Stream(StreamPieces(ResponsesSamples.Stream(terminal: "failed")));

        var kinds = new List<StreamingResponseUpdate>();
        await foreach (var update in await Client().CreateResponseStreamingAsync(ResponsesSamples.Model, "Say hello."))
        {
            kinds.Add(update);
        }

        Assert.IsType<StreamingResponseFailedUpdate>(kinds[^1]);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.StreamError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Equal("error", record.FinishReason);
    }

    [Fact]
    public async Task CreateResponseAsync_Http402_CallerSeesTheSdkErrorAndTheRecordSaysInsufficientCredits()
    {
        Answer(ResponsesSamples.InsufficientCredits, status: 402);

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client().CreateResponseAsync(ResponsesSamples.Model, "Hi."));

        Assert.Equal(402, error.Status);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmEndpoints.Responses, record.Endpoint);
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.InsufficientCredits, record.ErrorType);
    }

    // One piece per event, each flushed: the client reads the stream as it would arrive.
    private static List<string> StreamPieces(string body) => Response.StreamingTests.SplitEvents(body);

    private void Answer(string body, int status = 200) => _server.Handle(async ctx =>
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body, ctx.RequestAborted);
    });

    private ResponsesClient Client()
    {
        var options = new OpenAIClientOptions
        {
            // As OpenRouter's docs spell it: the API root without a trailing slash.
            Endpoint = new Uri(_server.BaseAddress.AbsoluteUri.TrimEnd('/')),
            Transport = new HttpClientPipelineTransport(_http),
        };
        return new OpenAIClient(new ApiKeyCredential(ApiKey), options).GetResponsesClient();
    }
}
