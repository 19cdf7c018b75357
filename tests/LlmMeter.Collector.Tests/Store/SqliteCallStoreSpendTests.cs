using Dapper;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Store;

public sealed class SqliteCallStoreSpendTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Varied records over two days: several models, teams, apps, providers, errors and fallbacks.</summary>
    private static LlmCallRecord[] Dataset()
    {
        string[] models = ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "google/gemini-flash"];
        string[] teams = ["search", "ads", "support"];
        string[] apps = ["search-api", "batch"];
        string[] providers = ["OpenAI", "Anthropic", "Google", "Azure"];
        return Enumerable.Range(0, 300).Select(i =>
        {
            var record = Records.Call(
                startedAt: Day0.AddMinutes(i * 9.7),
                app: apps[i % 2],
                team: teams[i % 3],
                model: models[i % 3],
                servedModel: i % 10 == 0 ? models[(i + 1) % 3] : null,
                provider: providers[i % 4],
                cost: i % 11 == 0 ? null : 0.0001m * (i % 17) + 0.0000000003m,
                outcome: i % 7 == 0 ? LlmCallOutcome.HttpError : LlmCallOutcome.Success,
                fallback: i % 10 == 0);
            return i % 13 == 0 ? record with { Tags = new Dictionary<string, string>(), Provider = null } : record with { InputTokens = 1000 + i, OutputTokens = i };
        }).ToArray();
    }

    // SpendDimension is internal, so the theory takes its name.
    public static TheoryData<string> Dimensions => [.. Enum.GetNames<SpendDimension>()];

    [Theory]
    [MemberData(nameof(Dimensions))]
    public async Task QuerySpendAsync_GroupedByOneDimension_MatchesTheRecords(string dimensionName)
    {
        var dimension = Enum.Parse<SpendDimension>(dimensionName);
        await using var temp = await TempStore.CreateAsync();
        var records = Dataset();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        var rows = await temp.Store.QuerySpendAsync(Range(Day0, Day0.AddDays(3), dimension), CancellationToken.None);

        var expected = records.GroupBy(r => Key(r, dimension)).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(expected.Count, rows.Count);
        foreach (var row in rows)
        {
            var group = expected[RowKey(row, dimension)];
            AssertTotals(group, row);
        }

        Assert.Equal(records.Length, rows.Sum(r => r.Requests));
        if (dimension is SpendDimension.Day or SpendDimension.Hour)
        {
            var times = rows.Select(r => (r.Day ?? r.Hour)!.Value).ToArray();
            Assert.Equal(times.Order(), times);
        }
        else
        {
            Assert.Equal(rows.Select(r => r.CostUsd).OrderDescending(), rows.Select(r => r.CostUsd));
        }
    }

    [Fact]
    public async Task QuerySpendAsync_ByModelAndTeam_CostDescendingAndOtherColumnsNull()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Dataset();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        var rows = await temp.Store.QuerySpendAsync(Range(Day0, Day0.AddDays(3), SpendDimension.Team, SpendDimension.Model), CancellationToken.None);

        var expected = records.GroupBy(r => (Key(r, SpendDimension.Model), Key(r, SpendDimension.Team))).ToArray();
        Assert.Equal(expected.Length, rows.Count);
        Assert.Equal(rows.Select(r => r.CostUsd).OrderDescending(), rows.Select(r => r.CostUsd));
        Assert.All(rows, r => Assert.True(r.App is null && r.Provider is null && r.Day is null && r.Hour is null));
        foreach (var group in expected)
        {
            AssertTotals(group.ToArray(), Assert.Single(rows, r => RowKey(r, SpendDimension.Model) == group.Key.Item1 && RowKey(r, SpendDimension.Team) == group.Key.Item2));
        }

        Assert.Contains(rows, r => r.Team is null); // records without a team tag
    }

    [Fact]
    public async Task QuerySpendAsync_DayAndModel_DaysAscendingThenCostDescending()
    {
        await using var temp = await TempStore.CreateAsync();
        await temp.Store.InsertAsync(Dataset(), CancellationToken.None);

        var rows = await temp.Store.QuerySpendAsync(Range(Day0, Day0.AddDays(3), SpendDimension.Model, SpendDimension.Day), CancellationToken.None);

        Assert.Equal([Day0, Day0.AddDays(1), Day0.AddDays(2)], rows.Select(r => r.Day!.Value).Distinct());
        foreach (var day in rows.GroupBy(r => r.Day))
        {
            Assert.Equal(day.Select(r => r.CostUsd).OrderDescending(), day.Select(r => r.CostUsd));
        }

        var dayIndexes = rows.Select(r => r.Day!.Value).ToArray();
        Assert.Equal(dayIndexes.Order(), dayIndexes);
    }

    [Fact]
    public async Task QuerySpendAsync_Filters_ExactMatchesOnly()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Dataset();
        await temp.Store.InsertAsync(records, CancellationToken.None);

        var query = Range(Day0, Day0.AddDays(3)) with { Model = "anthropic/claude-3.5-sonnet", Team = "ads", App = "batch", Provider = "Azure" };
        var row = Assert.Single(await temp.Store.QuerySpendAsync(query, CancellationToken.None));
        var prefix = Assert.Single(await temp.Store.QuerySpendAsync(Range(Day0, Day0.AddDays(3)) with { Team = "ad" }, CancellationToken.None));

        AssertTotals(
            records.Where(r => (r.ServedModel ?? r.RequestedModel) == query.Model && r.Tags.GetValueOrDefault("team") == "ads" && r.App == "batch" && r.Provider == "Azure").ToArray(),
            row);
        Assert.True(row.Requests > 0);
        Assert.Equal(0, prefix.Requests);
        Assert.Equal(0m, prefix.CostUsd);
    }

    [Fact]
    public async Task QuerySpendAsync_FromToRange_HoursStartingFromTheHourOfFromAndBeforeTo()
    {
        await using var temp = await TempStore.CreateAsync();
        var at = new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);
        await temp.Store.InsertAsync([Records.Call(startedAt: at, cost: 1m), Records.Call(startedAt: at.AddHours(1), cost: 2m)], CancellationToken.None);

        async Task<decimal> Cost(DateTimeOffset from, DateTimeOffset to) =>
            Assert.Single(await temp.Store.QuerySpendAsync(new SpendQuery { From = from, To = to }, CancellationToken.None)).CostUsd;

        var hour10 = at.AddMinutes(-15);
        Assert.Equal(3m, await Cost(hour10, hour10.AddHours(2)));
        Assert.Equal(3m, await Cost(hour10.AddMinutes(59), hour10.AddHours(2))); // the hour containing From counts
        Assert.Equal(2m, await Cost(hour10.AddHours(1), hour10.AddHours(2)));
        Assert.Equal(1m, await Cost(hour10, hour10.AddHours(1))); // To is exclusive
        Assert.Equal(3m, await Cost(hour10, hour10.AddHours(1).AddMilliseconds(1)));
        Assert.Equal(0m, await Cost(hour10.AddHours(-5), hour10));
    }

    [Fact]
    public async Task QuerySpendAsync_NoGroupingNoData_OneZeroRow_GroupedNoData_NoRows()
    {
        await using var temp = await TempStore.CreateAsync();

        var total = Assert.Single(await temp.Store.QuerySpendAsync(Range(Day0, Day0.AddDays(1)), CancellationToken.None));
        var grouped = await temp.Store.QuerySpendAsync(Range(Day0, Day0.AddDays(1), SpendDimension.Model), CancellationToken.None);

        Assert.Equal(0, total.Requests);
        Assert.Equal(0m, total.CostUsd);
        Assert.Empty(grouped);
    }

    [Theory]
    [InlineData(0, 0, 96, 0)] // whole days only
    [InlineData(5, 10, 80, 20)] // partial days at both edges
    [InlineData(23, 59, 24, 1)] // starts in the last hour of a day
    [InlineData(30, 0, 10, 0)] // within one day
    [InlineData(2, 30, 47, 45)]
    public async Task QuerySpendAsync_WindowsAcrossDays_SameAsCountingEveryHour(int fromHours, int fromMinutes, int spanHours, int spanMinutes)
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Enumerable.Range(0, 400).Select(i => Records.Call(
            startedAt: Day0.AddMinutes(i * 17.3), team: i % 2 == 0 ? "ads" : "search", cost: 0.0001m * ((i % 9) + 1))).ToArray();
        await temp.Store.InsertAsync(records, CancellationToken.None);
        var from = Day0.AddHours(fromHours).AddMinutes(fromMinutes);
        var to = from.AddHours(spanHours).AddMinutes(spanMinutes);

        var byTeam = await temp.Store.QuerySpendAsync(Range(from, to, SpendDimension.Team), CancellationToken.None);
        var byDay = await temp.Store.QuerySpendAsync(Range(from, to, SpendDimension.Day), CancellationToken.None);
        var byHour = await temp.Store.QuerySpendAsync(Range(from, to, SpendDimension.Hour), CancellationToken.None);

        var fromHour = new DateTimeOffset(from.UtcDateTime.Date.AddHours(from.UtcDateTime.Hour), TimeSpan.Zero);
        var counted = records.Where(r => r.StartedAt.AddMinutes(-r.StartedAt.Minute).AddSeconds(-r.StartedAt.Second).AddMilliseconds(-r.StartedAt.Millisecond) is var hour
            && hour >= fromHour && hour < to).ToArray();
        Assert.NotEmpty(counted);
        foreach (var team in counted.GroupBy(r => r.Tags["team"]))
        {
            AssertTotals(team.ToArray(), Assert.Single(byTeam, r => r.Team == team.Key));
        }

        Assert.Equal(counted.GroupBy(r => r.StartedAt.UtcDateTime.Date).Select(g => (new DateTimeOffset(g.Key, TimeSpan.Zero), g.Sum(r => r.CostUsd!.Value))),
            byDay.Select(r => (r.Day!.Value, r.CostUsd)));
        Assert.Equal(counted.Sum(r => r.CostUsd!.Value), byHour.Sum(r => r.CostUsd));
    }

    [Fact]
    public async Task Rollups_HourlyAndDaily_AgreeWithTheRawRows()
    {
        await using var temp = await TempStore.CreateAsync();
        var records = Dataset();
        foreach (var chunk in records.Chunk(37))
        {
            await temp.Store.InsertAsync([.. chunk, chunk[0]], CancellationToken.None);
        }

        var stored = new List<LlmCallRecord>();
        await foreach (var record in temp.Store.StreamCallsAsync(new CallQuery(), CancellationToken.None))
        {
            stored.Add(record);
        }

        using var connection = temp.Connect();
        var rollups = connection.Query<(long Hour, string App, string Team, string Model, string Provider, long Cost, long Requests, long Input, long Output, long Cached, long Reasoning, long Fallbacks, long Errors)>(
            "SELECT hour_ms, app, team, model, provider, cost_units, requests, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, fallbacks, errors FROM spend_hourly")
            .ToDictionary(r => (r.Hour, r.App, r.Team, r.Model, r.Provider));
        var raw = stored.GroupBy(r => (
            Hour: r.StartedAt.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000, r.App, Team: r.Tags.GetValueOrDefault("team") ?? "",
            Model: r.ServedModel ?? r.RequestedModel ?? "", Provider: r.Provider ?? "")).ToArray();
        Assert.Equal(records.Length, stored.Count);
        Assert.Equal(raw.Length, rollups.Count);
        var daily = connection.Query<(long Day, string App, string Team, string Model, string Provider, long Cost, long Requests, long Input, long Output, long Cached, long Reasoning, long Fallbacks, long Errors)>(
            "SELECT day_ms, app, team, model, provider, cost_units, requests, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, fallbacks, errors FROM spend_daily")
            .ToArray();
        var dailyFromHourly = rollups.Values
            .GroupBy(r => (Day: r.Hour / 86_400_000 * 86_400_000, r.App, r.Team, r.Model, r.Provider))
            .Select(g => (g.Key.Day, g.Key.App, g.Key.Team, g.Key.Model, g.Key.Provider, g.Sum(r => r.Cost), g.Sum(r => r.Requests), g.Sum(r => r.Input),
                g.Sum(r => r.Output), g.Sum(r => r.Cached), g.Sum(r => r.Reasoning), g.Sum(r => r.Fallbacks), g.Sum(r => r.Errors)));
        Assert.Equal(dailyFromHourly.Order(), daily.Order());
        foreach (var group in raw)
        {
            var rollup = rollups[group.Key];
            Assert.Equal(group.Sum(r => (long)((r.CostUsd ?? 0) * 10_000_000_000m)), rollup.Cost);
            Assert.Equal(group.Count(), rollup.Requests);
            Assert.Equal(group.Sum(r => r.InputTokens ?? 0), rollup.Input);
            Assert.Equal(group.Sum(r => r.OutputTokens ?? 0), rollup.Output);
            Assert.Equal(group.Sum(r => r.CachedInputTokens ?? 0), rollup.Cached);
            Assert.Equal(group.Sum(r => r.ReasoningTokens ?? 0), rollup.Reasoning);
            Assert.Equal(group.Count(r => r.FallbackUsed), rollup.Fallbacks);
            Assert.Equal(group.Count(r => r.Outcome != LlmCallOutcome.Success), rollup.Errors);
        }
    }

    private static SpendQuery Range(DateTimeOffset from, DateTimeOffset to, params SpendDimension[] groupBy) =>
        new() { From = from, To = to, GroupBy = groupBy };

    private static string Key(LlmCallRecord r, SpendDimension dimension) => dimension switch
    {
        SpendDimension.Model => r.ServedModel ?? r.RequestedModel,
        SpendDimension.Team => r.Tags.GetValueOrDefault("team"),
        SpendDimension.App => r.App,
        SpendDimension.Provider => r.Provider,
        SpendDimension.Day => new DateTimeOffset(r.StartedAt.UtcDateTime.Date, TimeSpan.Zero).ToString("O"),
        SpendDimension.Hour => new DateTimeOffset(r.StartedAt.UtcDateTime.Date.AddHours(r.StartedAt.UtcDateTime.Hour), TimeSpan.Zero).ToString("O"),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
    } ?? "<none>";

    private static string RowKey(SpendRow row, SpendDimension dimension) => dimension switch
    {
        SpendDimension.Model => row.Model,
        SpendDimension.Team => row.Team,
        SpendDimension.App => row.App,
        SpendDimension.Provider => row.Provider,
        SpendDimension.Day => row.Day!.Value.ToString("O"),
        SpendDimension.Hour => row.Hour!.Value.ToString("O"),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
    } ?? "<none>";

    private static void AssertTotals(LlmCallRecord[] records, SpendRow row)
    {
        Assert.Equal(records.Sum(r => r.CostUsd ?? 0), row.CostUsd);
        Assert.Equal(records.Length, row.Requests);
        Assert.Equal(records.Sum(r => r.InputTokens ?? 0), row.InputTokens);
        Assert.Equal(records.Sum(r => r.OutputTokens ?? 0), row.OutputTokens);
        Assert.Equal(records.Sum(r => r.CachedInputTokens ?? 0), row.CachedInputTokens);
        Assert.Equal(records.Sum(r => r.ReasoningTokens ?? 0), row.ReasoningTokens);
        Assert.Equal(records.Count(r => r.FallbackUsed), row.Fallbacks);
        Assert.Equal(records.Count(r => r.Outcome != LlmCallOutcome.Success), row.Errors);
    }
}
