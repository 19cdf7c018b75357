using System.Net;
using System.Text;
using System.Text.Json;
using LlmMeter.Policy;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;

namespace LlmMeter.Tests.Policy;

public sealed class PolicyHandlerTests : IDisposable
{
    private static readonly DateTimeOffset s_periodEnd = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeOpenRouter _openRouter = new();
    private readonly CollectingSink _sink = new();

    public void Dispose() => _openRouter.Dispose();

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Downgrade_BudgetOverThreshold_OpenRouterReceivesCheaperModel(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o-mini"));
        using var policy = LlmMeterPolicy.Fixed(Policy(spent: 85m, new PolicyThreshold
        {
            Percent = 80,
            Action = RoutingAction.Downgrade,
            ModelMap = new Dictionary<string, string> { ["openai/gpt-4o"] = "openai/gpt-4o-mini" },
        }));
        using var client = Client(policy);

        using var response = await Post(client, mode, """{"model":"openai/gpt-4o","models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"],"messages":[]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies()));
        Assert.Equal("""{"model":"openai/gpt-4o-mini","models":["openai/gpt-4o-mini","anthropic/claude-3.5-sonnet"],"messages":[]}""", sent);
        var record = await _sink.SingleAsync();
        Assert.Equal(new RoutingShape("monthly@80", "downgrade", "openai/gpt-4o"), Shape(record.Routing));
        Assert.Equal("openai/gpt-4o-mini", record.RequestedModel);
        Assert.False(record.FallbackUsed);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Block_BudgetExhausted_Synthesized402WithoutCallingOpenRouter(SendMode mode)
    {
        using var policy = LlmMeterPolicy.Fixed(Policy(spent: 100m, new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }));
        using var client = Client(policy);

        using var response = await Post(client, mode, """{"model":"openai/gpt-4o","messages":[]}""");

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Empty(_openRouter.Server.LogEntries);
        using var body = JsonDocument.Parse(await response.ReadAs(mode));
        var error = body.RootElement.GetProperty("error");
        Assert.Equal(402, error.GetProperty("code").GetInt32());
        Assert.StartsWith("LlmMeter budget 'Search monthly'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("monthly", error.GetProperty("metadata").GetProperty("budget_id").GetString());
        var record = await _sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Blocked, record.Outcome);
        Assert.Equal(402, record.StatusCode);
        Assert.Equal(new RoutingShape("monthly@100", "block", "openai/gpt-4o"), Shape(record.Routing));
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Block_FreeModel_PassesExhaustedBudget(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("meta-llama/llama-3.3-70b-instruct:free", cost: "0"));
        using var policy = LlmMeterPolicy.Fixed(Policy(spent: 150m, new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }, model: null));
        using var client = Client(policy);

        using var response = await Post(client, mode, """{"model":"meta-llama/llama-3.3-70b-instruct:free","messages":[]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = await _sink.SingleAsync();
        Assert.Null(record.Routing);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Decide_OutOfScope_RequestUntouched(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o"));
        using var policy = LlmMeterPolicy.Fixed(Policy(spent: 100m, new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }, team: "billing"));
        using var client = Client(policy);
        const string Body = """{"model":"openai/gpt-4o","messages":[]}""";

        using var response = await Post(client, mode, Body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Body, Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies())));
        Assert.Null((await _sink.SingleAsync()).Routing);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Account_OwnCallsBetweenPolls_BlockOnceLimitReached(SendMode mode)
    {
        // $1 budget at $0.90; each call reports $0.06: the second call crosses the limit, the third is blocked.
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o", cost: "0.06"));
        using var policy = LlmMeterPolicy.Fixed(Policy(spent: 0.90m, new PolicyThreshold { Percent = 100, Action = RoutingAction.Block }, limit: 1m));
        using var client = Client(policy);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await Post(client, mode, """{"model":"openai/gpt-4o","messages":[]}""");
            statuses.Add(response.StatusCode);
            await _sink.NextAsync();
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.PaymentRequired], statuses);
        Assert.Equal(2, _openRouter.Server.LogEntries.Count());
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Override_AlertDowngrade_AppliesToScopedTeamOnly(SendMode mode)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat("openai/gpt-4o-mini"));
        using var policy = LlmMeterPolicy.Fixed(new RoutingPolicy
        {
            GeneratedAt = s_periodEnd.AddDays(-3),
            Overrides = [new PolicyOverride { Id = "alertmanager:abc", Name = "SpendBurn", Action = RoutingAction.Downgrade, Scope = new PolicyScope { Team = "search" }, DowngradeTo = "openai/gpt-4o-mini" }],
        });
        using var client = Client(policy);

        using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "search" }))
        {
            using var response = await Post(client, mode, """{"model":"openai/gpt-4o","messages":[]}""");
        }

        using (LlmMeterContext.BeginScope(new Dictionary<string, string> { ["team"] = "ads" }))
        {
            using var response = await Post(client, mode, """{"model":"openai/gpt-4o","messages":[]}""");
        }

        var bodies = _openRouter.ReceivedBodies().Select(Encoding.UTF8.GetString).ToArray();
        Assert.Contains("\"openai/gpt-4o-mini\"", bodies[0], StringComparison.Ordinal);
        Assert.Contains("\"openai/gpt-4o\"", bodies[1], StringComparison.Ordinal);
        Assert.Equal("alertmanager:abc", (await _sink.NextAsync()).Routing?.RuleId);
        Assert.Null((await _sink.NextAsync()).Routing);
    }

    public static TheoryData<SendMode, RoutingAction, string, string> OneShotBodies => new()
    {
        // A rule whose map changes the model, and one that leaves it as it is (the body goes out as written).
        { SendMode.Async, RoutingAction.Downgrade, "openai/gpt-4o", "openai/gpt-4o-mini" },
        { SendMode.Sync, RoutingAction.Downgrade, "openai/gpt-4o", "openai/gpt-4o-mini" },
        { SendMode.Async, RoutingAction.Downgrade, "openai/gpt-4o-mini", "openai/gpt-4o-mini" },
        { SendMode.Sync, RoutingAction.Downgrade, "openai/gpt-4o-mini", "openai/gpt-4o-mini" },
        { SendMode.Async, RoutingAction.RouteFree, "openai/gpt-4o", "openai/gpt-oss-20b:free" },
        { SendMode.Sync, RoutingAction.RouteFree, "openai/gpt-4o", "openai/gpt-oss-20b:free" },
        { SendMode.Async, RoutingAction.RouteFree, "openai/gpt-oss-20b:free", "openai/gpt-oss-20b:free" },
        { SendMode.Sync, RoutingAction.RouteFree, "openai/gpt-oss-20b:free", "openai/gpt-oss-20b:free" },
    };

    [Theory]
    [MemberData(nameof(OneShotBodies))]
    public async Task Rewrite_NonSeekableStreamContent_SentOnceWithTheRuleApplied(SendMode mode, RoutingAction action, string requested, string sent)
    {
        _openRouter.Json("chat/completions", OpenRouterSamples.Chat(sent));
        using var policy = LlmMeterPolicy.Fixed(Policy(spent: 90m, new PolicyThreshold
        {
            Percent = 80,
            Action = action,
            ModelMap = action == RoutingAction.Downgrade ? new Dictionary<string, string> { ["openai/gpt-4o"] = "openai/gpt-4o-mini" } : null,
            FreeModel = action == RoutingAction.RouteFree ? "openai/gpt-oss-20b:free" : null,
        }, model: null));
        using var client = Client(policy);
        var body = $$"""{"model": "{{requested}}", "messages":[{"role":"user","content":"hi"}]}""";
        var content = new StreamContent(new OneShotStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await client.PostAs(mode, "chat/completions", content);
        await response.ReadAs(mode);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Encoding.UTF8.GetString(Assert.Single(_openRouter.ReceivedBodies()));
        Assert.Equal(body.Replace(requested, sent, StringComparison.Ordinal), received);
        var record = await _sink.SingleAsync();
        Assert.Equal(sent, record.RequestedModel);
        Assert.Equal(requested == sent ? null : requested, record.Routing?.OriginalModel);
        Assert.Null(record.Warnings);
        Assert.Equal(LlmCallOutcome.Success, record.Outcome);
    }

    private static RoutingPolicy Policy(decimal spent, PolicyThreshold threshold, decimal limit = 100m, string? team = "search", string? model = "openai/*") => new()
    {
        GeneratedAt = s_periodEnd.AddDays(-3),
        Budgets =
        [
            new PolicyBudget
            {
                Id = "monthly",
                Name = "Search monthly",
                Scope = new PolicyScope { App = "tests", Team = team, Model = model },
                LimitUsd = limit,
                SpentUsd = spent,
                PeriodEnd = s_periodEnd,
                Thresholds = [threshold],
            },
        ],
    };

    private HttpClient Client(LlmMeterPolicy policy) =>
        Metered.Client(_openRouter.ApiRoot, _sink, o =>
        {
            o.Policy = policy;
            o.DefaultTags["team"] = "search";
        });

    private static Task<HttpResponseMessage> Post(HttpClient client, SendMode mode, string body) =>
        client.PostAs(mode, "chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

    private static RoutingShape? Shape(LlmRoutingInfo? info) => info is null ? null : new(info.RuleId, info.Action, info.OriginalModel);
}

internal sealed record RoutingShape(string RuleId, string Action, string? OriginalModel);

/// <summary>A request body that can be read once, forward only, like a network or pipe stream.</summary>
internal sealed class OneShotStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
