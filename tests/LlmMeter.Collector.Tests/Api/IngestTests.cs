using System.Net;
using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

public sealed class IngestTests
{
    private static readonly DateTimeOffset s_day = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Post_SameBatchTwice_SecondIsAllDuplicatesAndSpendUnchanged()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        using var reader = host.Client(CollectorHost.ReadKey);
        var batch = Enumerable.Range(0, 7).Select(i => Records.Call(startedAt: s_day.AddHours(i), cost: 0.01m)).ToList();

        Assert.Equal((7, 0), await Api.IngestAsync(client, batch));
        var before = await Api.GetJsonAsync(reader, "v1/spend?from=2026-11-27&to=2026-11-28");
        Assert.Equal((0, 7), await Api.IngestAsync(client, batch));
        var after = await Api.GetJsonAsync(reader, "v1/spend?from=2026-11-27&to=2026-11-28");

        Assert.Equal(0.07m, before.GetProperty("total").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(7, before.GetProperty("total").GetProperty("requests").GetInt64());
        Assert.Equal(before.GetProperty("total").ToString(), after.GetProperty("total").ToString());
        Assert.Equal(7, (await Api.AllCallsAsync(reader)).Count);
    }

    [Fact]
    public async Task Post_RepeatedIdWithinBatch_CountsItAsDuplicate()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var record = Records.Call();

        Assert.Equal((2, 1), await Api.IngestAsync(client, [record, Records.Call(), record]));
    }

    [Fact]
    public async Task Post_EmptyArray_AcceptsNothing()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);

        using var response = await client.PostAsync("v1/calls", Api.Json("[]"));

        var body = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("duplicates").GetInt32());
    }

    [Theory]
    [InlineData("application/x-ndjson")]
    [InlineData("application/jsonl")]
    public async Task Post_Ndjson_StoresEveryLineAndSkipsBlankLines(string mediaType)
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var records = Enumerable.Range(0, 3).Select(i => Records.Call(startedAt: s_day.AddMinutes(i))).ToList();
        var body = "\r\n" + string.Join("\r\n\r\n", records.Select(LlmMeterJson.Serialize)) + "\r\n\n";

        using var response = await client.PostAsync("v1/calls", new StringContent(body, Encoding.UTF8, mediaType));

        var result = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(3, result.GetProperty("accepted").GetInt32());
        var stored = await Api.AllCallsAsync(host.Client(CollectorHost.ReadKey));
        Assert.Equal(records.Select(r => r.Id).Reverse(), stored.Select(c => c.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Post_NdjsonWithBadLines_StoresTheGoodOnesAndNamesEachBadLine()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var (first, slow, last) = (Records.Call(), Records.Call(), Records.Call());
        var lines = new[]
        {
            LlmMeterJson.Serialize(first),
            string.Empty,
            LlmMeterJson.Serialize(slow).Replace("\"latency_ms\":950.75", "\"latency_ms\":\"slow\"", StringComparison.Ordinal),
            "{\"id\":\"gen-cut\",\"started_at\":",
            LlmMeterJson.Serialize(last),
        };

        using var response = await client.PostAsync("v1/calls", new StringContent(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson"));

        var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(2, answer.GetProperty("accepted").GetInt32());
        var rejected = answer.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal(
            [(1, slow.Id, "latency_ms"), (2, "gen-cut", null)],
            rejected.Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("id").GetString(), r.GetProperty("field").GetString())));
        var stored = await Api.AllCallsAsync(host.Client(CollectorHost.ReadKey));
        Assert.Equal(new[] { first.Id, last.Id }.Order(StringComparer.Ordinal), stored.Select(c => c.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=utf-16")]
    public async Task Post_UnsupportedContentType_Returns415(string contentType)
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Api.ArrayJson([Records.Call()])));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync("v1/calls", content);

        await Api.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Empty(await Api.AllCallsAsync(host.Client(CollectorHost.ReadKey)));
    }

    [Fact]
    public async Task Post_MoreRecordsThanAllowed_Returns413AndStoresNothing()
    {
        await using var host = await CollectorHost.StartAsync("--Ingest:MaxRecordsPerRequest=10");
        using var client = host.Client(CollectorHost.IngestKey);

        using var tooMany = await Api.PostAsync(client, Enumerable.Range(0, 11).Select(_ => Records.Call()));
        var problem = await Api.ProblemAsync(tooMany, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Ingest:MaxRecordsPerRequest", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var tooManyLines = await client.PostAsync("v1/calls", new StringContent(Api.Ndjson(Enumerable.Range(0, 11).Select(_ => Records.Call())), Encoding.UTF8, "application/x-ndjson"));
        await Api.ProblemAsync(tooManyLines, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await Api.AllCallsAsync(host.Client(CollectorHost.ReadKey)));

        Assert.Equal((10, 0), await Api.IngestAsync(client, Enumerable.Range(0, 10).Select(_ => Records.Call())));
    }

    [Fact]
    public async Task Post_BodyLargerThanAllowed_Returns413WithOrWithoutContentLength()
    {
        await using var host = await CollectorHost.StartAsync("--Ingest:MaxRequestBytes=4096");
        using var client = host.Client(CollectorHost.IngestKey);
        var big = Api.ArrayJson(Enumerable.Range(0, 10).Select(_ => Records.Call()));
        var small = Api.ArrayJson(Enumerable.Range(0, 2).Select(_ => Records.Call()));
        Assert.True(big.Length > 4096 && small.Length < 4096);

        using var declared = await client.PostAsync("v1/calls", Api.Json(big));
        var problem = await Api.ProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Ingest:MaxRequestBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var chunked = await client.PostAsync("v1/calls", Api.Chunked(big, "application/json"));
        Assert.Null(chunked.RequestMessage?.Content?.Headers.ContentLength);
        await Api.ProblemAsync(chunked, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await Api.AllCallsAsync(host.Client(CollectorHost.ReadKey)));

        using var accepted = await client.PostAsync("v1/calls", Api.Chunked(small, "application/json"));
        Assert.Equal(2, (await Api.ReadJsonAsync(accepted, HttpStatusCode.OK)).GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Post_TagsNull_StoresRecordWithoutTags()
    {
        await using var host = await CollectorHost.StartAsync();
        using var client = host.Client(CollectorHost.IngestKey);
        var record = Records.Call();
        var json = "[" + LlmMeterJson.Serialize(record).Replace("\"tags\":{\"team\":\"search\",\"feature\":\"summarize\"}", "\"tags\":null", StringComparison.Ordinal) + "]";
        Assert.Contains("\"tags\":null", json, StringComparison.Ordinal);

        using var response = await client.PostAsync("v1/calls", Api.Json(json));

        await Api.ReadJsonAsync(response, HttpStatusCode.OK);
        var stored = await Api.GetJsonAsync(host.Client(CollectorHost.ReadKey), $"v1/calls/{record.Id}");
        Assert.Equal(record.Id, stored.GetProperty("id").GetString());
    }
}
