using System.Net;
using System.Text.Json.Nodes;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

/// <summary>One collector for all the refusals: none of them may store anything.</summary>
public sealed class RejectingHostFixture : IAsyncLifetime
{
    internal CollectorHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await CollectorHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class IngestValidationTests(RejectingHostFixture fixture) : IClassFixture<RejectingHostFixture>
{
    /// <summary>Five valid records; <paramref name="mutate"/> spoils the one at <paramref name="index"/>.</summary>
    private static string Batch(int index, Action<JsonObject> mutate)
    {
        var array = JsonNode.Parse(Api.ArrayJson(Enumerable.Range(0, 5).Select(_ => Records.Call())))!.AsArray();
        mutate(array[index]!.AsObject());
        return array.ToJsonString();
    }

    public static TheoryData<string, string, string> Spoilers => new()
    {
        // field, JSON value (null: remove the property), expected field in the answer
        { "cost_usd", "-0.5", "cost_usd" },
        { "cost_usd", "\"abc\"", "cost_usd" },
        { "id", "<remove>", "id" },
        { "started_at", "<remove>", "started_at" },
        { "app", "<remove>", "app" },
        { "endpoint", "<remove>", "endpoint" },
        { "outcome", "<remove>", "outcome" },
        { "outcome", "\"exploded\"", "outcome" },
        { "outcome", "1", "outcome" },
        { "id", "\"\"", "id" },
        { "id", "\"gen\\u0001x\"", "id" },
        { "id", "null", "id" },
        { "id", "42", "id" },
        { "app", "\"" + new string('a', 201) + "\"", "app" },
        { "started_at", "\"yesterday\"", "started_at" },
        { "started_at", "null", "started_at" },
        { "started_at", "\"0001-01-01T00:00:00Z\"", "started_at" },
        { "started_at", "\"2999-01-01T00:00:00Z\"", "started_at" },
        { "latency_ms", "-1", "latency_ms" },
        { "ttft_ms", "-0.1", "ttft_ms" },
        { "headers_ms", "-3", "headers_ms" },
        { "input_tokens", "-1", "input_tokens" },
        { "output_tokens", "1.5", "output_tokens" },
        { "status_code", "700", "status_code" },
        { "status_code", "99", "status_code" },
        { "tags", "{\"team\": null}", "tags" },
        { "tags", "{\"team\": 5}", "tags" },
        { "tags", "{\"\": \"x\"}", "tags" },
        { "tags", "{\"team\": \"" + new string('t', 501) + "\"}", "tags" },
        { "tags", "{" + string.Join(',', Enumerable.Range(0, 65).Select(i => $"\"k{i}\":\"v\"")) + "}", "tags" },
        { "fallback_models", "[\"a\", null]", "fallback_models" },
        { "stream", "\"yes\"", "stream" },
    };

    [Theory]
    [MemberData(nameof(Spoilers))]
    public async Task Post_BadRecordAtIndex3Of5_Returns400NamingIndexAndFieldAndStoresNothing(string field, string value, string expectedField)
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var body = Batch(3, record =>
        {
            if (value == "<remove>")
            {
                record.Remove(field);
            }
            else
            {
                record[field] = JsonNode.Parse(value);
            }
        });

        using var response = await client.PostAsync("v1/calls", Api.Json(body));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(3, problem.GetProperty("index").GetInt32());
        Assert.Equal(expectedField, problem.GetProperty("field").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("Record 3", detail, StringComparison.Ordinal);
        Assert.Contains(expectedField, detail, StringComparison.Ordinal);
        Assert.Empty(await Api.AllCallsAsync(fixture.Host.Client(CollectorHost.ReadKey)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"id\":\"x\"}")]
    [InlineData("[{\"id\":\"x\"")]
    [InlineData("[1]")]
    [InlineData("[] []")]
    public async Task Post_MalformedBody_Returns400(string body)
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);

        using var response = await client.PostAsync("v1/calls", Api.Json(body));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Empty(await Api.AllCallsAsync(fixture.Host.Client(CollectorHost.ReadKey)));
    }

    [Fact]
    public async Task Post_SyntaxErrorInsideSecondRecord_NamesIndex1()
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var first = LlmMeterJson.Serialize(Records.Call());
        var body = $"[{first},\n{{\"id\":\"gen-x\", \"cost_usd\": 0.1.2}}]";

        using var response = await client.PostAsync("v1/calls", Api.Json(body));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(1, problem.GetProperty("index").GetInt32());
    }
}
