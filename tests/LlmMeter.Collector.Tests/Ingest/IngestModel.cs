using System.Collections.Concurrent;

namespace LlmMeter.Collector.Tests.Ingest;

/// <summary>
/// What the property test expects the collector to hold: every version of a valid record sent for an id (concurrent
/// requests may race for an id, and the first stored wins), and what each id held at the last checkpoint.
/// </summary>
internal sealed class IngestModel
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _sent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private long _accepted;

    public int Requests => Count("200") + Count("400");

    public int Stored => _seen.Count;

    public int Count(string what) => _counts.GetValueOrDefault(what);

    public void Bump(string what, int by = 1) => _counts.AddOrUpdate(what, by, (_, count) => count + by);

    public void OnAccepted(IReadOnlyList<LlmCallRecord> valid, int accepted, int duplicates, int rejected)
    {
        foreach (var record in valid)
        {
            _sent.GetOrAdd(record.Id, _ => []).Add(Canonical(record));
        }

        Interlocked.Add(ref _accepted, accepted);
        Bump("200");
        Bump("duplicates", duplicates);
        Bump("rejected", rejected);
    }

    /// <summary>
    /// The store holds exactly one record per id ever sent valid (one of its versions), what it held at the last
    /// checkpoint is unchanged, the answers' accepted counts add up to it, and the spend totals are its sums.
    /// </summary>
    public async Task AssertStoreMatchesAsync(HttpClient read, string window)
    {
        var calls = await Api.Api.AllCallsAsync(read, window);
        var records = calls.Select(call => LlmMeterJson.Deserialize(call.GetRawText())!).ToList();
        Assert.Equal(_sent.Count, records.Count);
        Assert.Equal(Interlocked.Read(ref _accepted), records.Count);
        foreach (var record in records)
        {
            var json = Canonical(record);
            Assert.True(_sent.TryGetValue(record.Id, out var versions), $"stored record {record.Id} was never sent valid");
            Assert.True(versions.Contains(json), $"stored record {record.Id} is none of the versions sent: {json}");
            Assert.True(!_seen.TryGetValue(record.Id, out var before) || before == json, $"stored record {record.Id} changed from {before} to {json}");
            _seen[record.Id] = json;
        }

        var total = (await Api.Api.GetJsonAsync(read, "v1/spend?" + window)).GetProperty("total");
        Assert.Equal(records.Sum(r => r.CostUsd ?? 0m), total.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(records.Count, total.GetProperty("requests").GetInt64());
        Assert.Equal(records.Sum(r => r.InputTokens ?? 0), total.GetProperty("input_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.OutputTokens ?? 0), total.GetProperty("output_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.CachedInputTokens ?? 0), total.GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(records.Sum(r => r.ReasoningTokens ?? 0), total.GetProperty("reasoning_tokens").GetInt64());
    }

    public string Summary() => string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    private static string Canonical(LlmCallRecord record) =>
        LlmMeterJson.Serialize(record.Tags is null || record.Tags.Count == 0 ? record with { Tags = LlmMeterContext.EmptyTags } : record);
}
