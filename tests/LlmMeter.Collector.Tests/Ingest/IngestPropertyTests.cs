using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using LlmMeter.Collector.Tests.Api;
using LlmMeter.Collector.Tests.Infrastructure;
using Xunit.Abstractions;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>
/// Generated requests mixing valid and bad records against ONE real collector (Kestrel, SQLite file), checked against
/// a model of what must be stored: never a 5xx; a 400 only for a body that cannot be read as a whole, as
/// ProblemDetails; otherwise every bad record named in <c>rejected</c> and every valid one stored; nothing stored
/// before lost or changed; spend totals equal to the sums over the stored records.
/// </summary>
public sealed class IngestPropertyTests(ITestOutputHelper output)
{
    private const int Requests = 10_000;
    private const int Checkpoint = 2_500;
    private const string Window = "from=2026-11-01&to=2026-12-01";

    [Fact]
    public async Task PostCalls_GeneratedMixOfValidAndBadRecords_StoresExactlyTheValidOnesAndNeverFails()
    {
        await using var host = await CollectorHost.StartAsync();
        using var ingest = host.Client(CollectorHost.IngestKey);
        using var read = host.Client(CollectorHost.ReadKey);
        var stored = new Dictionary<string, LlmCallRecord>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var sent = 0;

        await IngestGenerators.Request.SampleAsync(
            async request =>
            {
                await PostAndCheckAsync(ingest, request, stored, counts);
                if (++sent % Checkpoint == 0)
                {
                    await AssertStoreMatchesAsync(read, stored);
                }
            },
            iter: Requests,
            threads: 1,
            seed: Environment.GetEnvironmentVariable("LLMMETER_PROPERTY_SEED"),
            print: request => request.ToString());
        await AssertStoreMatchesAsync(read, stored);

        output.WriteLine($"{sent} requests, {stored.Count} records stored; outcomes: " + string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(stored.Count > 1_000, $"only {stored.Count} records stored: the generator hardly makes valid ones");
        Assert.True(counts.GetValueOrDefault("400") > 100, "the generator hardly makes unreadable bodies");
        Assert.True(counts.GetValueOrDefault("rejected") > 1_000, "the generator hardly makes bad records");
    }

    private static async Task PostAndCheckAsync(HttpClient client, GeneratedRequest request, Dictionary<string, LlmCallRecord> stored, Dictionary<string, int> counts)
    {
        using var content = new ByteArrayContent(request.Body());
        content.Headers.ContentType = new MediaTypeHeaderValue(request.Ndjson ? "application/x-ndjson" : "application/json");
        using var response = await client.PostAsync(new Uri("v1/calls", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{status} for {request}: {text}");

        if (request.WholeBodyRefused)
        {
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {status} for {request}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(text);
            Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
            Bump(counts, "400");
            return;
        }

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {status} for {request}: {text}");
        using var answer = JsonDocument.Parse(text);
        var items = request.Garbage ? [] : request.Items;
        var rejected = answer.RootElement.GetProperty("rejected").EnumerateArray().ToList();
        var expectedRejected = items.Select((item, index) => (item, index))
            .Where(x => x.item.Expect != Expect.Valid || (request.CutAt is not null && x.index == items.Length - 1))
            .ToList();
        Assert.True(
            expectedRejected.Select(x => x.index).SequenceEqual(rejected.Select(r => r.GetProperty("index").GetInt32())),
            $"rejected {string.Join(',', rejected.Select(r => r.GetProperty("index").GetInt32()))} for {request}: {text}");
        foreach (var ((item, index), actual) in expectedRejected.Zip(rejected))
        {
            var truncated = request.CutAt is not null && index == items.Length - 1;
            if (item.Expect == Expect.Rejected && !truncated)
            {
                Assert.True(
                    item.Field == actual.GetProperty("field").GetString() && item.Id == actual.GetProperty("id").GetString(),
                    $"record {index} ({item.Kind}) expected field {item.Field}, id {item.Id}; got {actual}");
            }

            Assert.False(string.IsNullOrWhiteSpace(actual.GetProperty("message").GetString()));
            Bump(counts, "rejected");
        }

        // The valid records: the first of each id not stored yet is accepted, the others are duplicates.
        var valid = items.Where((item, index) => item.Expect == Expect.Valid && !(request.CutAt is not null && index == items.Length - 1)).ToList();
        var fresh = valid.Where(item => !stored.ContainsKey(item.Id!)).DistinctBy(item => item.Id, StringComparer.Ordinal).ToList();
        Assert.True(
            fresh.Count == answer.RootElement.GetProperty("accepted").GetInt32() && valid.Count - fresh.Count == answer.RootElement.GetProperty("duplicates").GetInt32(),
            $"expected {fresh.Count} accepted and {valid.Count - fresh.Count} duplicates for {request}: {text}");
        foreach (var item in fresh)
        {
            stored[item.Id!] = item.Record!;
        }

        Bump(counts, "200");
        Bump(counts, "accepted", fresh.Count);
    }

    /// <summary>Every stored record is exactly the model's (none lost, none changed, none extra); spend totals are its sums.</summary>
    private static async Task AssertStoreMatchesAsync(HttpClient read, Dictionary<string, LlmCallRecord> stored)
    {
        var calls = await Api.Api.AllCallsAsync(read, Window);
        Assert.Equal(stored.Count, calls.Count);
        foreach (var call in calls)
        {
            var actual = LlmMeterJson.Deserialize(call.GetRawText())!;
            Assert.True(stored.TryGetValue(actual.Id, out var expected), $"stored record {actual.Id} was never accepted");
            Assert.Equal(Canonical(expected), Canonical(actual));
        }

        var total = (await Api.Api.GetJsonAsync(read, "v1/spend?" + Window)).GetProperty("total");
        var records = stored.Values;
        Assert.Equal(records.Sum(r => r.CostUsd ?? 0m), total.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(records.Count, total.GetProperty("requests").GetInt64());
        Assert.Equal(records.Sum(r => r.InputTokens ?? 0), total.GetProperty("input_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.OutputTokens ?? 0), total.GetProperty("output_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.CachedInputTokens ?? 0), total.GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.ReasoningTokens ?? 0), total.GetProperty("reasoning_tokens").GetInt64());
    }

    private static string Canonical(LlmCallRecord record) =>
        LlmMeterJson.Serialize(record.Tags is null || record.Tags.Count == 0 ? record with { Tags = LlmMeterContext.EmptyTags } : record);

    private static void Bump(Dictionary<string, int> counts, string key, int by = 1) =>
        counts[key] = counts.GetValueOrDefault(key) + by;
}
