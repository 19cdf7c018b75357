using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Handler;

public sealed class LlmMeterHandlerTests : IDisposable
{
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_NonStreamingChat_RecordsServedModelTokensAndReportedCost(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.ChatResponse);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.DefaultTags["env"] = "test");

        using var response = await http.PostAs(mode, "chat/completions", Json(OpenRouterSamples.ChatRequest));
        var body = await response.ReadAs(mode);

        var record = await _sink.SingleAsync();
        Assert.Equal("gen-1785175967-0yUbjrUVCs9RPx0pedNA", record.Id);
        Assert.Equal("tests", record.App);
        Assert.Equal("test", record.Tags["env"]);
        Assert.Equal(LlmEndpoints.ChatCompletions, record.Endpoint);
        Assert.Equal("google/gemma-4-26b-a4b-it:free", record.RequestedModel);
        Assert.Equal("google/gemma-4-26b-a4b-it:free", record.ServedModel);
        Assert.False(record.FallbackUsed);
        Assert.Equal("Darkbloom", record.Provider);
        Assert.False(record.Stream);
        Assert.Equal(200, record.StatusCode);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
        Assert.Null(record.ErrorType);
        Assert.Equal("stop", record.FinishReason);
        Assert.Equal(24, record.InputTokens);
        Assert.Equal(0, record.CachedInputTokens);
        Assert.Equal(431, record.OutputTokens);
        Assert.Equal(0, record.ReasoningTokens);
        Assert.Equal(0m, record.CostUsd);
        Assert.Equal(LlmCostSource.Reported, record.CostSource);
        Assert.Null(record.TtftMs);
        Assert.NotNull(record.HeadersMs);
        Assert.True(record.LatencyMs >= record.HeadersMs);
        Assert.Null(record.Warnings);
        Assert.Contains("friendly greeting", body);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_ResponseBytes_AreExactlyWhatTheServerSent(SendMode mode)
    {
        var sent = OpenRouterSamples.Chat("openai/gpt-4o", content: "caf\\u00e9 \\ud83d\\ude00 ok");
        _openRouter.Json("chat/completions", sent);
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAs(mode, "chat/completions", Json("""{"model":"openai/gpt-4o","messages":[]}"""));
        var received = await response.ReadBytesAs(mode);

        Assert.Equal(Encoding.UTF8.GetBytes(sent), received);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(received.Length, response.Content.Headers.ContentLength);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_RequestBody_GoesOutByteIdentical(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);
        const string body = """
            { "model" : "openai/gpt-4o",  "models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"],
              "messages":[{"role":"user","content":"caf\u00e9 \n tab\t"}], "plugins":[{"id":"web"}],
              "provider":{"sort":"price","max_price":{"prompt":1}}, "route":"fallback", "user":"u-1", "stream":false }
            """;
        var bytes = Encoding.UTF8.GetBytes(body);

        using var response = await http.PostAs(mode, "chat/completions", new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });
        await response.ReadAs(mode);

        Assert.Equal(bytes, Assert.Single(_openRouter.ReceivedBodies()));
        var record = await _sink.SingleAsync();
        Assert.Equal(["openai/gpt-4o", "anthropic/claude-3.5-sonnet"], record.FallbackModels);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_StreamContentRequest_IsReadAndSentUnchanged(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);
        var bytes = Encoding.UTF8.GetBytes("""{"model":"openai/gpt-4o","messages":[{"role":"user","content":"x"}]}""");

        // A one-shot, non-seekable stream: the handler must buffer it through HttpContent, not consume it.
        using var response = await http.PostAs(mode, "chat/completions", new StreamContent(new NonSeekableStream(bytes)));
        await response.ReadAs(mode);

        Assert.Equal(bytes, Assert.Single(_openRouter.ReceivedBodies()));
        Assert.Equal("openai/gpt-4o", (await _sink.SingleAsync()).RequestedModel);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_NonJsonBody_PassesThroughAndSaysSo(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAs(mode, "chat/completions", new StringContent("model=openai/gpt-4o&not json"));
        await response.ReadAs(mode);

        Assert.Equal("model=openai/gpt-4o&not json", Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies())));
        var record = await _sink.SingleAsync();
        Assert.Contains("request_body_not_json", record.Warnings!);
        Assert.Null(record.RequestedModel);
        Assert.Equal("openai/gpt-4o", record.ServedModel);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_NonJsonResponse_IsReturnedUntouchedAndRecorded(SendMode mode)
    {
        _openRouter.Raw("chat/completions", 502, "text/html", "<html>Bad gateway</html>");
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAs(mode, "chat/completions", Json("""{"model":"openai/gpt-4o"}"""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("<html>Bad gateway</html>", await response.ReadAs(mode));
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.HttpError, record.Outcome);
        Assert.Equal(LlmErrorType.UpstreamUnavailable, record.ErrorType);
        Assert.Contains("response_body_not_json", record.Warnings!);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_OtherHostOrPath_PassesThroughUnmetered(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        _openRouter.Server.Given(global::WireMock.RequestBuilders.Request.Create().WithPath("/other/chat/completions").UsingPost())
            .RespondWith(global::WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithBody("{}"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var otherPath = new Uri(_openRouter.Server.Url + "/other/chat/completions");
        var request = new HttpRequestMessage(HttpMethod.Post, otherPath) { Content = Json("""{"model":"x"}""") };
        request.Headers.Add("X-LlmMeter-Tags", "team=search");
        using var response = await http.SendAs(mode, request);
        await response.ReadAs(mode);

        // Same port on "localhost" is another host as far as the base address goes.
        var otherHost = new Uri(_openRouter.ApiRoot.ToString().Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "chat/completions");
        using var response2 = await http.PostAs(mode, otherHost, Json("""{"model":"x"}"""));
        await response2.ReadAs(mode);

        Assert.Empty(_sink.Records);
        var entry = _openRouter.Server.LogEntries.First(e => e.RequestMessage.Path == "/other/chat/completions");
        Assert.True(entry.RequestMessage.Headers!.ContainsKey("X-LlmMeter-Tags"), "an unmetered request keeps its headers");
        Assert.IsNotType<LlmMeter.Response.MeteredContent>(response.Content);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_TagHeader_IsRemovedAndMergedOverScopeAndDefaults(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o =>
        {
            o.DefaultTags["team"] = "default-team";
            o.DefaultTags["env"] = "prod";
        });

        using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "scope-team", ["feature"] = "scope-feature" }))
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json("""{"model":"openai/gpt-4o"}""") };
            request.Headers.Add("X-LlmMeter-Tags", "feature=summarize, tenant = acme");
            using var response = await http.SendAs(mode, request);
            await response.ReadAs(mode);
        }

        var record = await _sink.SingleAsync();
        Assert.Equal(
            new Dictionary<string, string> { ["team"] = "scope-team", ["env"] = "prod", ["feature"] = "summarize", ["tenant"] = "acme" },
            record.Tags);
        var headers = _openRouter.Server.LogEntries.Single().RequestMessage.Headers!;
        Assert.False(headers.ContainsKey("X-LlmMeter-Tags"));
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_AuthorizationHeader_IsSentButNeverRecorded(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-or-v1-secret-key");

        using var response = await http.PostAs(mode, "chat/completions", Json("""{"model":"openai/gpt-4o","messages":[{"role":"user","content":"my secret prompt"}]}"""));
        await response.ReadAs(mode);

        var json = LlmMeterJson.Serialize(await _sink.SingleAsync());
        Assert.DoesNotContain("sk-or-v1", json);
        Assert.DoesNotContain("secret prompt", json);
        Assert.DoesNotContain("Hi.", json);
        Assert.Equal("Bearer sk-or-v1-secret-key", _openRouter.Server.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_RoutingMetadataOption_SendsHeaderAndReadsAttempts(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(
            "anthropic/claude-3.5-sonnet",
            extra: ""","openrouter_metadata":{"requested":"openai/gpt-4o","strategy":"fallback","attempt":2,"attempts":[{"provider":"OpenAI","model":"openai/gpt-4o","status":429},{"provider":"Anthropic","model":"anthropic/claude-3.5-sonnet","status":200}]}"""));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink, o => o.RequestRoutingMetadata = true);

        using var response = await http.PostAs(mode, "chat/completions", Json("""{"model":"openai/gpt-4o","models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"]}"""));
        await response.ReadAs(mode);

        var record = await _sink.SingleAsync();
        Assert.Equal("enabled", _openRouter.Server.LogEntries.Single().RequestMessage.Headers!["X-OpenRouter-Metadata"].Single());
        Assert.True(record.FallbackUsed);
        Assert.Equal(1, record.FallbackIndex);
        Assert.Equal(2, record.Attempts);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_GenerationIdHeader_IsTheIdWhenTheBodyHasNone(SendMode mode)
    {
        _openRouter.Json("embeddings", """{"object":"list","data":[],"model":"openai/text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}""", 200, ("X-Generation-Id", "gen-emb-42"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        using var response = await http.PostAs(mode, "embeddings", Json("""{"model":"openai/text-embedding-3-small","input":"hello"}"""));
        await response.ReadAs(mode);

        var record = await _sink.SingleAsync();
        Assert.Equal("gen-emb-42", record.Id);
        Assert.Equal(LlmEndpoints.Embeddings, record.Endpoint);
        Assert.Equal(8, record.InputTokens);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_NoIdAnywhere_GetsAUniqueLocalId(SendMode mode)
    {
        _openRouter.Json("completions", """{"model":"openai/gpt-3.5-turbo-instruct","choices":[{"text":"x","finish_reason":"stop"}]}""");
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        for (var i = 0; i < 2; i++)
        {
            using var response = await http.PostAs(mode, "completions", Json("""{"model":"openai/gpt-3.5-turbo-instruct","prompt":"x"}"""));
            await response.ReadAs(mode);
        }

        var ids = _sink.Records.Select(r => r.Id).ToList();
        Assert.Equal(2, ids.Count);
        Assert.All(ids, id => Assert.StartsWith("llmm-", id));
        Assert.NotEqual(ids[0], ids[1]);
        Assert.All(_sink.Records, r => Assert.Equal(LlmEndpoints.Completions, r.Endpoint));
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_ServerUnreachable_RecordsNetworkErrorAndRethrowsTheOriginalException(SendMode mode)
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // Nothing listens there now.
        var root = new Uri($"http://127.0.0.1:{port}/api/v1/");
        using var http = Metered.Client(root, _sink);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAs(mode, "chat/completions", Json("""{"model":"openai/gpt-4o"}""")));

        Assert.IsType<System.Net.Sockets.SocketException>(ex.InnerException);
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
        Assert.Null(record.StatusCode);
        Assert.Equal("openai/gpt-4o", record.RequestedModel);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_SinkThrows_CallSucceedsAndOtherWorkContinues(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, new ThrowingSink());

        using var response = await http.PostAs(mode, "chat/completions", Json("""{"model":"openai/gpt-4o"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("gpt-4o", await response.ReadAs(mode));
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_UnreadableRequestContent_CallerSeesItsOwnErrorAndTheRecordSaysSo(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var http = Metered.Client(_openRouter.ApiRoot, _sink);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => http.PostAs(mode, "chat/completions", new StreamContent(new FailingStream())));

        Assert.Contains("content source is broken", ex.ToString(), StringComparison.Ordinal);
        var record = await _sink.SingleAsync();
        Assert.Contains("request_body_not_read", record.Warnings!);
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class ThrowingSink : ILlmCallSink
    {
        public void Record(LlmCallRecord call) => throw new InvalidOperationException("sink is broken");
    }

    private sealed class FailingStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("content source is broken");

        public override int Read(Span<byte> buffer) => throw new IOException("content source is broken");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new IOException("content source is broken");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new IOException("content source is broken");
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
