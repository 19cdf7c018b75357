using System.Net;
using System.Text.Json;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmMeter.Collector.Tests.Api;

public sealed class QueryTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task IngestThenQuery_RoundTrip_RecordsAndSpendMatch()
    {
        await using var host = await CollectorHost.StartAsync();
        using var ingest = host.Client(CollectorHost.IngestKey);
        using var read = host.Client(CollectorHost.ReadKey);
        LlmCallRecord[] records =
        [
            Records.Call(startedAt: s_at, team: "search", model: "openai/gpt-4o-mini", cost: 0.0012m),
            Records.Call(startedAt: s_at.AddHours(1), team: "search", model: "openai/gpt-4o-mini", cost: 0.0030m),
            Records.Call(startedAt: s_at.AddHours(2), team: "ads", model: "anthropic/claude-sonnet-4", provider: "Anthropic", cost: 0.0200m, outcome: LlmCallOutcome.HttpError),
            Records.Call(startedAt: s_at.AddDays(1), team: "ads", model: "anthropic/claude-sonnet-4", provider: "Anthropic", cost: 0.5m),
        ];
        Assert.Equal((4, 0), await Api.IngestAsync(ingest, records));

        // Newest first, each record exactly in its wire format.
        var calls = await Api.GetJsonAsync(read, "v1/calls?from=2026-11-27&to=2026-11-29");
        Assert.Equal(
            records.Reverse().Select(LlmMeterJson.Serialize),
            calls.GetProperty("calls").EnumerateArray().Select(c => c.GetRawText()));
        Assert.Equal(JsonValueKind.Null, calls.GetProperty("next_cursor").ValueKind);
        var one = await Api.GetJsonAsync(read, $"v1/calls/{records[2].Id}");
        Assert.Equal(LlmMeterJson.Serialize(records[2]), one.GetRawText());

        // Filters.
        var errors = await Api.GetJsonAsync(read, "v1/calls?outcome=http_error");
        Assert.Equal([records[2].Id], errors.GetProperty("calls").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var ads = await Api.GetJsonAsync(read, "v1/calls?team=ads&to=2026-11-28");
        Assert.Equal([records[2].Id], ads.GetProperty("calls").EnumerateArray().Select(c => c.GetProperty("id").GetString()));

        // Spend on the first day: total, then grouped by team, then by model and hour.
        var spend = await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27&to=2026-11-28");
        Assert.Equal("2026-11-27T00:00:00.000Z", spend.GetProperty("from").GetString());
        Assert.Equal("2026-11-28T00:00:00.000Z", spend.GetProperty("to").GetString());
        Assert.Empty(spend.GetProperty("group_by").EnumerateArray());
        var total = spend.GetProperty("total");
        Assert.Equal(0.0242m, total.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(3, total.GetProperty("requests").GetInt64());
        Assert.Equal(3600, total.GetProperty("input_tokens").GetInt64());
        Assert.Equal(1, total.GetProperty("errors").GetInt64());

        var byTeam = await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27&to=2026-11-28&group_by=team");
        Assert.Equal(["team"], byTeam.GetProperty("group_by").EnumerateArray().Select(g => g.GetString()));
        var teams = byTeam.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("team").GetString()!, r => r.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(new Dictionary<string, decimal> { ["search"] = 0.0042m, ["ads"] = 0.02m }, teams);
        Assert.Equal(0.0242m, byTeam.GetProperty("total").GetProperty("cost_usd").GetDecimal());

        var byModelHour = await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27&to=2026-11-29&group_by=model,hour");
        var rows = byModelHour.GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("model").GetString(), r.GetProperty("hour").GetString(), r.GetProperty("requests").GetInt64()))
            .OrderBy(r => r.Item2, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            [
                ("openai/gpt-4o-mini", "2026-11-27T10:00:00.000Z", 1L),
                ("openai/gpt-4o-mini", "2026-11-27T11:00:00.000Z", 1L),
                ("anthropic/claude-sonnet-4", "2026-11-27T12:00:00.000Z", 1L),
                ("anthropic/claude-sonnet-4", "2026-11-28T10:00:00.000Z", 1L),
            ],
            rows);
        Assert.Equal(0.5242m, byModelHour.GetProperty("total").GetProperty("cost_usd").GetDecimal());

        var filtered = await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27&to=2026-11-29&group_by=day&provider=Anthropic");
        Assert.Equal(
            ["2026-11-27T00:00:00.000Z", "2026-11-28T00:00:00.000Z"],
            filtered.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("day").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(0.52m, filtered.GetProperty("total").GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task GetCall_UnknownId_Returns404Problem()
    {
        await using var host = await CollectorHost.StartAsync();
        using var read = host.Client(CollectorHost.ReadKey);

        using var response = await read.GetAsync("v1/calls/gen-missing");

        var problem = await Api.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("gen-missing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCalls_250Records_KeysetPagesCoverEveryRecordOnceNewestFirst()
    {
        await using var host = await CollectorHost.StartAsync();
        using var ingest = host.Client(CollectorHost.IngestKey);
        using var read = host.Client(CollectorHost.ReadKey);
        // Several records share a start time, so the order falls back on the id.
        var records = Enumerable.Range(0, 250).Select(i => Records.Call(id: $"gen-page-{i:D3}", startedAt: s_at.AddSeconds(i / 3))).ToList();
        Assert.Equal((250, 0), await Api.IngestAsync(ingest, records));

        var pages = new List<List<string>>();
        string? cursor = null;
        do
        {
            var page = await Api.GetJsonAsync(read, "v1/calls?limit=100" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            pages.Add([.. page.GetProperty("calls").EnumerateArray().Select(c => c.GetProperty("id").GetString()!)]);
            cursor = page.GetProperty("next_cursor").GetString();
            Assert.True(pages.Count <= 3, "more pages than records");
        }
        while (cursor is not null);

        Assert.Equal([100, 100, 50], pages.Select(p => p.Count));
        var expected = records.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).Select(r => r.Id);
        Assert.Equal(expected, pages.SelectMany(p => p));
    }

    [Theory]
    [InlineData("v1/spend?group_by=model,colour", "group_by")]
    [InlineData("v1/spend?from=2026-11-28&to=2026-11-27", "from")]
    [InlineData("v1/spend?from=2026-11-27&to=2026-11-27", "from")]
    [InlineData("v1/spend?from=last-week", "from")]
    [InlineData("v1/spend?to=27/11/2026", "to")]
    [InlineData("v1/calls?limit=0", "limit")]
    [InlineData("v1/calls?limit=1001", "limit")]
    [InlineData("v1/calls?limit=ten", "limit")]
    [InlineData("v1/calls?outcome=exploded", "outcome")]
    [InlineData("v1/calls?cursor=%21%21not-a-cursor", "cursor")]
    [InlineData("v1/calls?from=2026-11-28&to=2026-11-27", "from")]
    [InlineData("v1/calls?team=a&team=b", "team")]
    [InlineData("v1/export.csv?outcome=exploded", "outcome")]
    public async Task Get_BadParameter_Returns400NamingIt(string url, string parameter)
    {
        await using var host = await CollectorHost.StartAsync();
        using var read = host.Client(CollectorHost.ReadKey);

        using var response = await read.GetAsync(url);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains(parameter, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSpend_NoRange_DefaultsToLast30DaysOfTheInjectedClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 10, 8, 30, 0, TimeSpan.Zero));
        var folder = CollectorHost.NewFolder();
        try
        {
            await using var host = await CollectorHost.StartAsync(folder, [], services => services.AddSingleton<TimeProvider>(clock));
            await Api.IngestAsync(host.Client(CollectorHost.IngestKey), [Records.Call(startedAt: clock.GetUtcNow().AddDays(-29)), Records.Call(startedAt: clock.GetUtcNow().AddDays(-31))]);

            var spend = await Api.GetJsonAsync(host.Client(CollectorHost.ReadKey), "v1/spend");

            Assert.Equal("2026-11-10T08:30:00.000Z", spend.GetProperty("from").GetString());
            Assert.Equal("2026-12-10T08:30:00.000Z", spend.GetProperty("to").GetString());
            Assert.Equal(1, spend.GetProperty("total").GetProperty("requests").GetInt64());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Post_StartedMoreThanADayAfterTheInjectedClock_RejectsThatRecord()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var folder = CollectorHost.NewFolder();
        try
        {
            await using var host = await CollectorHost.StartAsync(folder, [], services => services.AddSingleton<TimeProvider>(clock));
            using var ingest = host.Client(CollectorHost.IngestKey);

            Assert.Equal((1, 0), await Api.IngestAsync(ingest, [Records.Call(startedAt: clock.GetUtcNow().AddHours(23))]));
            using var response = await Api.PostAsync(ingest, [Records.Call(startedAt: clock.GetUtcNow().AddHours(25))]);

            var answer = await Api.ReadJsonAsync(response, HttpStatusCode.OK);
            Assert.Equal(0, answer.GetProperty("accepted").GetInt32());
            Assert.Equal("started_at", Assert.Single(answer.GetProperty("rejected").EnumerateArray()).GetProperty("field").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task GetSpend_TimeWithOffset_IsReadAsUtc()
    {
        await using var host = await CollectorHost.StartAsync();
        using var read = host.Client(CollectorHost.ReadKey);

        // '+' unescaped in a query string arrives as a space.
        var spend = await Api.GetJsonAsync(read, "v1/spend?from=2026-11-27T12:00:00+02:00&to=2026-11-27T12:00:00Z");

        Assert.Equal("2026-11-27T10:00:00.000Z", spend.GetProperty("from").GetString());
    }
}
