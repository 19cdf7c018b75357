using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmMeter.Collector.Tests.Ingest;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

/// <summary>One collector for all the refusals; every test uses records of its own.</summary>
public sealed class IngestHostFixture : IAsyncLifetime
{
    internal CollectorHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await CollectorHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class IngestValidationTests(IngestHostFixture fixture) : IClassFixture<IngestHostFixture>
{
    public static TheoryData<string, string, string> Limits => RecordLimitCases.All;

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
    public async Task Post_BadRecordAtIndex3Of5_StoresTheOtherFourAndNamesIndexIdAndField(string field, string value, string expectedField)
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var records = Enumerable.Range(0, 5).Select(_ => Records.Call()).ToList();
        var array = JsonNode.Parse(Api.ArrayJson(records))!.AsArray();
        var bad = array[3]!.AsObject();
        if (value == "<remove>")
        {
            bad.Remove(field);
        }
        else
        {
            bad[field] = JsonNode.Parse(value);
        }

        using var response = await client.PostAsync("v1/calls", Api.Json(array.ToJsonString()));

        var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(4, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(0, answer.GetProperty("duplicates").GetInt32());
        var rejected = Assert.Single(answer.GetProperty("rejected").EnumerateArray());
        Assert.Equal(3, rejected.GetProperty("index").GetInt32());
        Assert.Equal(expectedField, rejected.GetProperty("field").GetString());
        Assert.Equal(field == "id" ? null : records[3].Id, rejected.GetProperty("id").GetString());
        Assert.False(string.IsNullOrWhiteSpace(rejected.GetProperty("message").GetString()));
        await AssertStoredAsync(records.Where((_, i) => i != 3), records[3]);
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task Post_ValueAtLimitAndOneBeyond_StoresTheFirstAndRefusesTheSecondNamingTheField(string property, string atLimit, string beyond)
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var (good, beyondRecord) = (Records.Call(), Records.Call());
        var first = RecordLimitCases.With(good, property, atLimit);
        var second = RecordLimitCases.With(beyondRecord, property, beyond);
        var body = $"[{first.ToJsonString()},{second.ToJsonString()}]";

        using var response = await client.PostAsync("v1/calls", Api.Json(body));

        var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        var rejected = Assert.Single(answer.GetProperty("rejected").EnumerateArray());
        Assert.Equal((1, property), (rejected.GetProperty("index").GetInt32(), rejected.GetProperty("field").GetString()));
        var storedId = first["id"]!.GetValue<string>();
        using var read = fixture.Host.Client(CollectorHost.ReadKey);
        using var stored = await read.GetAsync("v1/calls/" + Uri.EscapeDataString(storedId));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        if (property != "id")
        {
            using var refused = await read.GetAsync("v1/calls/" + Uri.EscapeDataString(beyondRecord.Id));
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
    }

    [Fact]
    public async Task Post_AllValid_AnswersAnEmptyRejectedList()
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);

        using var response = await Api.PostAsync(client, [Records.Call(), Records.Call()]);

        var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(JsonValueKind.Array, answer.GetProperty("rejected").ValueKind);
        Assert.Equal(0, answer.GetProperty("rejected").GetArrayLength());
    }

    [Fact]
    public async Task Post_ElementsThatAreNotRecords_RefusedWithNullIdAndFieldAndTheRecordStored()
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var record = Records.Call();

        using var response = await client.PostAsync("v1/calls", Api.Json($"[1,{LlmMeterJson.Serialize(record)},\"x\",null]"));

        var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        var rejected = answer.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal([0, 2, 3], rejected.Select(r => r.GetProperty("index").GetInt32()));
        Assert.All(rejected, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("id").ValueKind));
        Assert.All(rejected, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("field").ValueKind));
        await AssertStoredAsync([record]);
    }

    [Fact]
    public async Task Post_InvalidUtf8AndLoneSurrogate_RefusedPerRecordNever5xx()
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var (good, surrogate, utf8) = (Records.Call(), Records.Call(), Records.Call());
        var surrogateJson = LlmMeterJson.Serialize(surrogate).Replace("\"served_model\":\"openai/gpt-4o-mini\"", "\"served_model\":\"\\ud800x\"", StringComparison.Ordinal);
        var utf8Bytes = Encoding.UTF8.GetBytes(LlmMeterJson.Serialize(utf8).Replace("\"provider\":\"OpenAI\"", "\"provider\":\"Open?I\"", StringComparison.Ordinal));
        utf8Bytes[Array.IndexOf(utf8Bytes, (byte)'?')] = 0xC3; // A lead byte without its continuation.
        byte[] body = [.. Encoding.UTF8.GetBytes("[" + LlmMeterJson.Serialize(good) + "," + surrogateJson + ","), .. utf8Bytes, (byte)']'];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync("v1/calls", content);

        var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        var rejected = answer.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal([(1, "served_model", surrogate.Id), (2, "provider", utf8.Id)], rejected.Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("field").GetString(), r.GetProperty("id").GetString())));
        await AssertStoredAsync([good], surrogate, utf8);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"id\":\"x\"}")]
    [InlineData("[{\"id\":\"x\"")]
    [InlineData("[] []")]
    [InlineData("[{\"id\":\"x\",\"latency_ms\":NaN}]")]
    public async Task Post_MalformedBody_Returns400AndStoresNothing(string tail)
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var record = Records.Call();
        // A valid record first where the body is an array: nothing of a refused body is stored.
        var body = tail.StartsWith('[') && tail != "[] []" ? "[" + LlmMeterJson.Serialize(record) + "," + tail[1..] : tail;

        using var response = await client.PostAsync("v1/calls", Api.Json(body));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        await AssertStoredAsync([], record);
    }

    [Fact]
    public async Task Post_SyntaxErrorInsideSecondRecord_Returns400NamingIndex1()
    {
        using var client = fixture.Host.Client(CollectorHost.IngestKey);
        var first = Records.Call();
        var body = $"[{LlmMeterJson.Serialize(first)},\n{{\"id\":\"gen-x\", \"cost_usd\": 0.1.2}}]";

        using var response = await client.PostAsync("v1/calls", Api.Json(body));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(1, problem.GetProperty("index").GetInt32());
        await AssertStoredAsync([], first);
    }

    /// <summary>Each of <paramref name="stored"/> is stored as sent; none of <paramref name="absent"/> is.</summary>
    private async Task AssertStoredAsync(IEnumerable<LlmCallRecord> stored, params LlmCallRecord[] absent)
    {
        using var read = fixture.Host.Client(CollectorHost.ReadKey);
        foreach (var record in stored)
        {
            var call = await Api.GetJsonAsync(read, "v1/calls/" + Uri.EscapeDataString(record.Id));
            Assert.Equal(record.ServedModel, call.GetProperty("served_model").GetString());
        }

        foreach (var record in absent)
        {
            using var response = await read.GetAsync("v1/calls/" + Uri.EscapeDataString(record.Id));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }
}
