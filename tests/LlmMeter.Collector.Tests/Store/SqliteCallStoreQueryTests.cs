using LlmMeter.Collector.Store;
using LlmMeter.Collector.Store.Sqlite;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Store;

public sealed class SqliteCallStoreQueryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task QueryCallsAsync_ManyRowsWithIdenticalTimestamps_EveryRowExactlyOnceNewestFirst()
    {
        await using var temp = await TempStore.CreateAsync();
        // 5 timestamps shared by 50 rows each, ids inserted in random order.
        var records = Enumerable.Range(0, 250)
            .Select(i => Records.Call(id: $"gen-{(i * 7919) % 250:D3}-{i}", startedAt: T0.AddSeconds(i % 5)))
            .ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        var seen = new List<LlmCallRecord>();
        string? cursor = null;
        var pages = 0;
        do
        {
            CallCursor.TryDecode(cursor, out var position);
            var page = await temp.Store.QueryCallsAsync(new CallQuery { Limit = 7, Cursor = position }, CancellationToken.None);
            Assert.InRange(page.Calls.Count, 1, 7);
            seen.AddRange(page.Calls);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(36, pages); // 250 / 7 rounded up: the last page has no next cursor
        Assert.Equal(250, seen.Select(r => r.Id).Distinct().Count());
        var expectedOrder = records.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).Select(r => r.Id);
        Assert.Equal(expectedOrder, seen.Select(r => r.Id));
    }

    [Fact]
    public async Task QueryCallsAsync_ExactlyOnePageOfRows_NoNextCursor()
    {
        await using var temp = await TempStore.CreateAsync();
        await temp.Store.InsertAsync(Enumerable.Range(0, 10).Select(_ => Records.Call()).ToArray(), CancellationToken.None);

        var page = await temp.Store.QueryCallsAsync(new CallQuery { Limit = 10 }, CancellationToken.None);
        var shorter = await temp.Store.QueryCallsAsync(new CallQuery { Limit = 9 }, CancellationToken.None);

        Assert.Equal(10, page.Calls.Count);
        Assert.Null(page.NextCursor);
        Assert.NotNull(shorter.NextCursor);
    }

    [Fact]
    public async Task QueryCallsAsync_Filters_MatchExactlyAndModelIsTheServedOne()
    {
        await using var temp = await TempStore.CreateAsync();
        var fallback = Records.Call(model: "openai/gpt-4o", servedModel: "anthropic/claude-3.5-sonnet", fallback: true, startedAt: T0);
        var plain = Records.Call(model: "openai/gpt-4o", team: "ads", app: "batch", provider: "Azure", startedAt: T0.AddMinutes(1));
        var failed = Records.Call(model: "google/gemini-flash", outcome: LlmCallOutcome.HttpError, startedAt: T0.AddMinutes(2));
        var late = Records.Call(model: "google/gemini-flash", startedAt: T0.AddHours(5));
        await temp.Store.InsertAsync([fallback, plain, failed, late], CancellationToken.None);

        async Task<string[]> Ids(CallQuery query) =>
            (await temp.Store.QueryCallsAsync(query, CancellationToken.None)).Calls.Select(c => c.Id).ToArray();

        Assert.Equal([plain.Id], await Ids(new CallQuery { Model = "openai/gpt-4o" })); // the fallback was served by Claude
        Assert.Equal([fallback.Id], await Ids(new CallQuery { Model = "anthropic/claude-3.5-sonnet" }));
        Assert.Equal([plain.Id], await Ids(new CallQuery { Team = "ads" }));
        Assert.Equal([plain.Id], await Ids(new CallQuery { App = "batch" }));
        Assert.Equal([plain.Id], await Ids(new CallQuery { Provider = "Azure" }));
        Assert.Empty(await Ids(new CallQuery { Provider = "Azur" }));
        Assert.Equal([failed.Id], await Ids(new CallQuery { Outcome = LlmCallOutcome.HttpError }));
        Assert.Equal([failed.Id, plain.Id], await Ids(new CallQuery { From = T0.AddMinutes(1), To = T0.AddHours(5) }));
        Assert.Equal([late.Id, failed.Id], await Ids(new CallQuery { Model = "google/gemini-flash", Team = "search", From = T0 }));
    }

    [Fact]
    public async Task QueryCallsAsync_FilteredPaging_UsesCursorWithFilters()
    {
        await using var temp = await TempStore.CreateAsync();
        var ads = Enumerable.Range(0, 30).Select(i => Records.Call(team: "ads", startedAt: T0.AddSeconds(i / 4))).ToArray();
        var others = Enumerable.Range(0, 30).Select(i => Records.Call(team: "search", startedAt: T0.AddSeconds(i / 4))).ToArray();
        await temp.Store.InsertAsync([.. ads, .. others], CancellationToken.None);

        var seen = new List<string>();
        CallCursor? cursor = null;
        do
        {
            var page = await temp.Store.QueryCallsAsync(new CallQuery { Team = "ads", Limit = 4, Cursor = cursor }, CancellationToken.None);
            seen.AddRange(page.Calls.Select(c => c.Id));
            CallCursor.TryDecode(page.NextCursor, out cursor);
        }
        while (cursor is not null);

        Assert.Equal(ads.Select(r => r.Id).Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StreamCallsAsync_AllMatchingRows_NewestFirstWithoutLimit()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Enumerable.Range(0, 1_500).Select(i => Records.Call(startedAt: T0.AddSeconds(i % 100), team: i % 3 == 0 ? "ads" : "search")).ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        var streamed = new List<LlmCallRecord>();
        await foreach (var record in temp.Store.StreamCallsAsync(new CallQuery { Team = "ads", Limit = 10 }, CancellationToken.None))
        {
            streamed.Add(record);
        }

        var expected = records.Where(r => r.Tags["team"] == "ads")
            .OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected.Select(LlmMeterJson.Serialize), streamed.Select(LlmMeterJson.Serialize));
    }

    [Fact]
    public async Task StreamCallsAsync_WhileReading_WriterStillCommits()
    {
        await using var temp = await TempStore.CreateAsync();
        await temp.Store.InsertAsync(Enumerable.Range(0, 200).Select(_ => Records.Call()).ToArray(), CancellationToken.None);

        var count = 0;
        var late = Records.Call();
        await foreach (var record in temp.Store.StreamCallsAsync(new CallQuery(), CancellationToken.None))
        {
            if (count++ == 0)
            {
                // The export holds its own read connection open; the single writer must not wait for it.
                var inserted = await temp.Store.InsertAsync([late], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Single(inserted.Accepted);
            }
        }

        Assert.Equal(200, count); // the export reads one snapshot
        Assert.NotNull(await temp.Store.GetCallAsync(late.Id, CancellationToken.None));
    }

    [Theory]
    [InlineData("", "ix_calls_started")]
    [InlineData("team", "ix_calls_team")]
    [InlineData("app", "ix_calls_started")]
    [InlineData("provider", "ix_calls_started")]
    [InlineData("outcome", "ix_calls_started")]
    [InlineData("model", "ix_calls_model")]
    public async Task CallsPage_QueryPlan_IndexOrderedWithoutSorting(string filter, string indexes)
    {
        await using var temp = await TempStore.CreateAsync();
        var query = new CallQuery
        {
            Cursor = new CallCursor(5, "gen-x"),
            From = T0,
            Limit = 100,
            Team = filter == "team" ? "ads" : null,
            App = filter == "app" ? "batch" : null,
            Provider = filter == "provider" ? "Azure" : null,
            Outcome = filter == "outcome" ? LlmCallOutcome.HttpError : null,
            Model = filter == "model" ? "openai/gpt-4o" : null,
        };

        using var connection = temp.Connect();
        using var command = SqliteCallQueries.CreatePageCommand(connection, query);
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        foreach (var index in indexes.Split('|'))
        {
            // Filters without an index of their own walk the time index (SCAN or SEARCH by the cursor), never a sort.
            Assert.Contains(plan, d => d.StartsWith("SEARCH calls USING INDEX " + index + " ", StringComparison.Ordinal)
                || d.StartsWith("SCAN calls USING INDEX " + index, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(plan, d => d.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}
