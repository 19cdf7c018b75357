using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CsCheck;
using LlmMeter.Collector.Tests.Infrastructure;
using Xunit.Abstractions;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>
/// Generated requests mixing valid and bad records against ONE real collector (Kestrel, SQLite file), checked against
/// a model of what must be stored: never a 5xx; a 400 only for a body that cannot be read as a whole, as
/// ProblemDetails; otherwise every bad record named in <c>rejected</c> and every valid one stored; nothing stored
/// before lost or changed; spend totals equal to the sums over the stored records. Run a failure again with
/// <c>LLMMETER_PROPERTY_SEED</c> set to the seed it prints.
/// </summary>
public sealed class IngestPropertyTests(ITestOutputHelper output)
{
    private const int Requests = 10_000;
    private const int Checkpoints = 4;
    private const int Threads = 4;
    private const string Window = "from=2026-11-01&to=2026-12-01";

    [Fact]
    public async Task PostCalls_GeneratedMixOfValidAndBadRecords_StoresExactlyTheValidOnesAndNeverFails()
    {
        await using var host = await CollectorHost.StartAsync();
        using var ingest = host.Client(CollectorHost.IngestKey);
        using var read = host.Client(CollectorHost.ReadKey);
        var model = new IngestModel();
        var seed = Environment.GetEnvironmentVariable("LLMMETER_PROPERTY_SEED");

        // Concurrent posters (the single writer batches them) between checkpoints, which read the store at rest.
        for (var checkpoint = 0; checkpoint < Checkpoints; checkpoint++)
        {
            await IngestGenerators.Request.SampleAsync(
                request => PostAndCheckAsync(ingest, request, model),
                iter: Requests / Checkpoints,
                threads: Threads,
                seed: seed,
                print: request => request.ToString());
            await model.AssertStoreMatchesAsync(read, Window);
        }

        output.WriteLine($"{model.Requests} requests, {model.Stored} records stored; " + model.Summary());
        Assert.Equal(Requests, model.Requests);
        Assert.True(model.Stored > 1_000, $"only {model.Stored} records stored: the generator hardly makes valid ones");
        Assert.True(model.Count("400") > 100, "the generator hardly makes unreadable bodies");
        Assert.True(model.Count("rejected") > 1_000, "the generator hardly makes bad records");
        Assert.True(model.Count("duplicates") > 100, "the generator hardly repeats ids");
    }

    private static async Task PostAndCheckAsync(HttpClient client, GeneratedRequest request, IngestModel model)
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
            model.Bump("400");
            return;
        }

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {status} for {request}: {text}");
        using var answer = JsonDocument.Parse(text);
        var items = request.Garbage ? [] : request.Items;
        bool Cut(int index) => request.CutAt is not null && index == items.Length - 1;
        var rejected = answer.RootElement.GetProperty("rejected").EnumerateArray().ToList();
        var expectedRejected = items.Select((item, index) => (item, index)).Where(x => x.item.Expect != Expect.Valid || Cut(x.index)).ToList();
        Assert.True(
            expectedRejected.Select(x => x.index).SequenceEqual(rejected.Select(r => r.GetProperty("index").GetInt32())),
            $"rejected {string.Join(',', rejected.Select(r => r.GetProperty("index").GetInt32()))} for {request}: {text}");
        foreach (var ((item, index), actual) in expectedRejected.Zip(rejected))
        {
            if (item.Expect == Expect.Rejected && !Cut(index))
            {
                Assert.True(
                    item.Field == actual.GetProperty("field").GetString() && item.Id == actual.GetProperty("id").GetString(),
                    $"record {index} ({item.Kind}) expected field {item.Field}, id {item.Id}; got {actual}");
            }

            Assert.False(string.IsNullOrWhiteSpace(actual.GetProperty("message").GetString()));
        }

        // Every valid record is accepted or a duplicate (its id stored before, or earlier in this request).
        var valid = items.Where((item, index) => item.Expect == Expect.Valid && !Cut(index)).Select(item => item.Record!).ToList();
        var accepted = answer.RootElement.GetProperty("accepted").GetInt32();
        var duplicates = answer.RootElement.GetProperty("duplicates").GetInt32();
        Assert.True(accepted + duplicates == valid.Count, $"{accepted} accepted + {duplicates} duplicates for {valid.Count} valid records in {request}: {text}");
        Assert.True(duplicates >= valid.Count - valid.DistinctBy(r => r.Id, StringComparer.Ordinal).Count(), $"ids repeated in {request} not counted as duplicates: {text}");
        model.OnAccepted(valid, accepted, duplicates, rejected.Count);
    }
}
