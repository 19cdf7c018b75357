using System.Net;
using System.Text.Json;
using LlmMeter.Collector.Tests.Infrastructure;
using static LlmMeter.Collector.Tests.Api.Api;
using static LlmMeter.Collector.Tests.Budgets.BudgetCollector;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary><c>/v1/budgets</c>: create, read, replace, delete, validation, configured budgets.</summary>
public sealed class BudgetApiTests
{
    private const string Example = """
        {"id":"search-monthly","name":"Search monthly","scope":{"app":"search-api","team":"search","tag":"env=prod","model":"openai/*","provider":null},
         "period":"month","timezone":"Europe/Berlin","limit_usd":100,
         "thresholds":[{"percent":50,"action":"alert"},{"percent":80,"action":"downgrade","model_map":{"openai/gpt-4o":"openai/gpt-4o-mini","*":"openai/gpt-4o-mini"}},{"percent":100,"action":"block"}]}
        """;

    private static readonly DateTimeOffset s_now = Utc(2026, 11, 10, 12);

    [Fact]
    public async Task PostBudget_Valid_Returns201WithLocationDefinitionAndStatus()
    {
        await using var collector = await StartAsync(s_now);

        using var response = await collector.PostBudgetAsync(Example);

        var body = await ReadJsonAsync(response, HttpStatusCode.Created);
        Assert.Equal("/v1/budgets/search-monthly", response.Headers.Location?.OriginalString);
        Assert.Equal("search-monthly", body.GetProperty("id").GetString());
        Assert.Equal("Search monthly", body.GetProperty("name").GetString());
        Assert.Equal("env=prod", body.GetProperty("scope").GetProperty("tag").GetString());
        Assert.Equal("openai/*", body.GetProperty("scope").GetProperty("model").GetString());
        Assert.Equal("month", body.GetProperty("period").GetString());
        Assert.Equal("Europe/Berlin", body.GetProperty("timezone").GetString());
        Assert.Equal(100m, body.GetProperty("limit_usd").GetDecimal());
        Assert.Equal("api", body.GetProperty("source").GetString());
        var thresholds = body.GetProperty("thresholds");
        Assert.Equal(["alert", "downgrade", "block"], thresholds.EnumerateArray().Select(t => t.GetProperty("action").GetString()));
        Assert.Equal("openai/gpt-4o-mini", thresholds[1].GetProperty("model_map").GetProperty("openai/gpt-4o").GetString());
        var status = body.GetProperty("status");
        Assert.Equal(0m, status.GetProperty("spent_usd").GetDecimal());
        Assert.Equal(1m, status.GetProperty("remaining_ratio").GetDecimal());
        Assert.Equal("2026-10-31T23:00:00.000Z", status.GetProperty("period_start").GetString()); // 1 Nov 00:00 in Berlin
        Assert.Equal("2026-11-30T23:00:00.000Z", status.GetProperty("period_end").GetString());
        Assert.Equal("alert", status.GetProperty("active_action").GetString());

        var list = await GetJsonAsync(collector.Admin, "v1/budgets");
        Assert.Equal("search-monthly", Assert.Single(list.GetProperty("budgets").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("Search monthly", (await collector.BudgetAsync("search-monthly")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task PostBudget_ExistingId_Returns409AndKeepsTheFirst()
    {
        await using var collector = await StartAsync(s_now);
        using (var first = await collector.PostBudgetAsync(Definition("dup", limit: 10m)))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var second = await collector.PostBudgetAsync(Definition("dup", limit: 20m));

        var problem = await ProblemAsync(second, HttpStatusCode.Conflict);
        Assert.Contains("PUT", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(10m, (await collector.BudgetAsync("dup")).GetProperty("limit_usd").GetDecimal());
    }

    [Fact]
    public async Task PutBudget_NewThenChanged_Returns201Then200WithTheNewDefinition()
    {
        await using var collector = await StartAsync(s_now);

        using (var created = await collector.PutBudgetAsync("team-ads", Definition("team-ads", limit: 10m)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/budgets/team-ads", created.Headers.Location?.OriginalString);
        }

        using var replaced = await collector.PutBudgetAsync("team-ads", Definition("team-ads", limit: 25m, period: "week"));

        var body = await ReadJsonAsync(replaced, HttpStatusCode.OK);
        Assert.Equal(25m, body.GetProperty("limit_usd").GetDecimal());
        Assert.Equal("week", body.GetProperty("period").GetString());
        Assert.Equal("2026-11-09T00:00:00.000Z", body.GetProperty("status").GetProperty("period_start").GetString()); // Monday
        Assert.Single((await GetJsonAsync(collector.Admin, "v1/budgets")).GetProperty("budgets").EnumerateArray());
    }

    [Fact]
    public async Task DeleteBudget_ExistingThenUnknown_Returns204Then404()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Definition("gone"));

        using var deleted = await collector.Admin.DeleteAsync("v1/budgets/gone");
        using var again = await collector.Admin.DeleteAsync("v1/budgets/gone");
        using var get = await collector.Admin.GetAsync("v1/budgets/gone");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAsync(again, HttpStatusCode.NotFound);
        await ProblemAsync(get, HttpStatusCode.NotFound);
        Assert.Empty((await GetJsonAsync(collector.Admin, "v1/budgets")).GetProperty("budgets").EnumerateArray());
    }

    public static TheoryData<string, string> InvalidBudgets => new()
    {
        { Definition("a", limit: 0m), "limit_usd" },
        { Definition("a", limit: 1_000_001m), "limit_usd" },
        { """{"id":"a","name":"A","limit_usd":"ten"}""", "limit_usd" },
        { """{"id":"a","name":"A"}""", "limit_usd" },
        { Definition("Not Valid"), "id" },
        { """{"name":"A","limit_usd":1}""", "id" },
        { """{"id":"a","name":" ","limit_usd":1}""", "name" },
        { """{"id":"a","name":"A","limit_usd":1,"limit":2}""", "limit" },
        { Definition("a", period: "year"), "period" },
        { Definition("a", timezone: "Mars/Olympus_Mons"), "timezone" },
        { Definition("a", scope: """{"tag":"env"}"""), "scope.tag" },
        { Definition("a", scope: """{"app":""}"""), "scope.app" },
        { Definition("a", scope: """{"region":"eu"}"""), "scope.region" },
        { Definition("a", thresholds: """[{"percent":0,"action":"alert"}]"""), "thresholds[0].percent" },
        { Definition("a", thresholds: """[{"percent":1001,"action":"alert"}]"""), "thresholds[0].percent" },
        { Definition("a", thresholds: """[{"percent":50,"action":"alert"},{"percent":50,"action":"block"}]"""), "thresholds[1].percent" },
        { Definition("a", thresholds: """[{"percent":50,"action":"explode"}]"""), "thresholds[0].action" },
        { Definition("a", thresholds: """[{"percent":50,"action":"alert"},{"percent":80,"action":"downgrade"}]"""), "thresholds[1].model_map" },
        { Definition("a", thresholds: """[{"percent":50,"action":"alert"},{"percent":80,"action":"downgrade","model_map":{}}]"""), "thresholds[1].model_map" },
        { Definition("a", thresholds: """[{"percent":80,"action":"route_free"}]"""), "thresholds[0].free_model" },
        { Definition("a", thresholds: """[{"percent":80,"action":"alert","model_map":{"*":"x/y"}}]"""), "thresholds[0].model_map" },
        { Definition("a", thresholds: """[{"percent":80,"action":"block","free_model":"x/y:free"}]"""), "thresholds[0].free_model" },
        { "[1,2]", "body" },
        { "{not json", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBudgets))]
    public async Task PostBudget_InvalidField_Returns400NamingTheFieldAndStoresNothing(string body, string field)
    {
        await using var collector = await StartAsync(s_now);

        using var response = await collector.PostBudgetAsync(body);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains($"'{field}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty((await GetJsonAsync(collector.Admin, "v1/budgets")).GetProperty("budgets").EnumerateArray());
    }

    [Fact]
    public async Task PutBudget_BodyIdDiffersFromUrl_Returns400Id()
    {
        await using var collector = await StartAsync(s_now);

        using var response = await collector.PutBudgetAsync("one", Definition("two"));

        Assert.Equal("id", (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Budgets_WithReadKey_Returns403()
    {
        await using var collector = await StartAsync(s_now);
        using var read = collector.Host.Client(CollectorHost.ReadKey);

        using var list = await read.GetAsync("v1/budgets");
        using var post = await read.PostAsync("v1/budgets", Json(Definition("x")));

        await ProblemAsync(list, HttpStatusCode.Forbidden);
        await ProblemAsync(post, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ConfiguredBudget_PutOrDelete_Returns409SayingToChangeTheConfiguration()
    {
        await using var collector = await StartAsync(
            s_now,
            "--Budgets:0:id=cfg-daily",
            "--Budgets:0:name=Configured daily",
            "--Budgets:0:period=day",
            "--Budgets:0:timezone=Europe/Berlin",
            "--Budgets:0:limit_usd=5.5",
            "--Budgets:0:scope:app=search-api",
            "--Budgets:0:thresholds:0:percent=80",
            "--Budgets:0:thresholds:0:action=downgrade",
            "--Budgets:0:thresholds:0:model_map:openai/gpt-4o=openai/gpt-4o-mini",
            "--Budgets:0:thresholds:1:percent=100",
            "--Budgets:0:thresholds:1:action=block");

        var budget = await collector.BudgetAsync("cfg-daily");
        using var put = await collector.PutBudgetAsync("cfg-daily", Definition("cfg-daily", limit: 50m));
        using var delete = await collector.Admin.DeleteAsync("v1/budgets/cfg-daily");
        using var post = await collector.PostBudgetAsync(Definition("cfg-daily"));

        Assert.Equal("config", budget.GetProperty("source").GetString());
        Assert.Equal(5.5m, budget.GetProperty("limit_usd").GetDecimal());
        Assert.Equal("openai/gpt-4o-mini", budget.GetProperty("thresholds")[0].GetProperty("model_map").GetProperty("openai/gpt-4o").GetString());
        Assert.Equal("search-api", budget.GetProperty("scope").GetProperty("app").GetString());
        Assert.Contains("configuration", (await ProblemAsync(put, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("configuration", (await ProblemAsync(delete, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("configuration", (await ProblemAsync(post, HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(5.5m, (await collector.BudgetAsync("cfg-daily")).GetProperty("limit_usd").GetDecimal());
    }

    [Fact]
    public async Task ConfiguredBudget_Invalid_StopsStartNamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            CollectorHost.StartAsync("--Budgets:0:id=bad", "--Budgets:0:name=Bad", "--Budgets:0:limit_usd=-1"));

        Assert.Contains("Budgets:0", error.Message, StringComparison.Ordinal);
        Assert.Contains("limit_usd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiBudget_AfterRestart_IsStillThere()
    {
        await using var collector = await StartAsync(s_now);
        await collector.DefineAsync(Example);

        await collector.RestartAsync();

        var budget = await collector.BudgetAsync("search-monthly");
        Assert.Equal("api", budget.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Object, budget.GetProperty("thresholds")[1].GetProperty("model_map").ValueKind);
        Assert.Equal(3, budget.GetProperty("thresholds").GetArrayLength());
    }
}
