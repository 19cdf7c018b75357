using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Status;

public sealed class StatusPageTests
{
    private const string EvilApp = "<script>alert('app')</script>";
    private const string EvilModel = "<img src=x onerror=alert(1)>";
    private const string EvilServed = "\"><b id=served>served</b>";
    private const string EvilTeam = "<i>team</i>";
    private const string EvilBudget = "<script>alert(\"budget\")</script>";

    [Fact]
    public async Task Get_WithRecordsAndBudget_RendersEverySectionAndEncodesUserData()
    {
        await using var collector = await CollectorHost.StartAsync();
        var now = TimeProvider.System.GetUtcNow();
        using (var ingest = collector.Client(CollectorHost.IngestKey))
        {
            await Api.Api.IngestAsync(ingest,
            [
                Records.Call(app: EvilApp, model: EvilModel, servedModel: EvilServed, team: EvilTeam, startedAt: now.AddSeconds(-5), fallback: true, cost: 0.25m),
                Records.Call(app: "search-api", model: "openai/gpt-4o", team: "search", startedAt: now.AddSeconds(-2), cost: 0.125m),
            ]);
        }

        using (var admin = collector.Client())
        {
            using var created = await admin.PostAsync("v1/budgets", Api.Api.Json($$"""
                {"id":"evil","name":{{System.Text.Json.JsonSerializer.Serialize(EvilBudget)}},"scope":{"app":"search-api"},"period":"day","limit_usd":0.1,
                 "thresholds":[{"percent":50,"action":"alert"},{"percent":100,"action":"block"}]}
                """));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var read = collector.Client(CollectorHost.ReadKey);
        using var response = await read.GetAsync(new Uri("/", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"5\">", html, StringComparison.Ordinal);
        foreach (var id in new[] { "spend", "spend-model", "spend-team", "budgets", "routing", "routing-rules", "calls", "calls-table", "links" })
        {
            Assert.Contains($"id=\"{id}\"", html, StringComparison.Ordinal);
        }

        foreach (var link in new[] { "href=\"metrics\"", "href=\"v1/spend?group_by=model,team\"", "href=\"v1/calls?limit=20\"", "href=\"v1/policy\"", "href=\"v1/budgets\"" })
        {
            Assert.Contains(link, html, StringComparison.Ordinal);
        }

        // User data is text, never markup: every field comes back encoded, and no tag of it survives.
        Assert.Contains("&lt;script&gt;alert(&#x27;app&#x27;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&quot;&gt;&lt;b id=served&gt;served&lt;/<wbr>b&gt;", html, StringComparison.Ordinal); // Model ids may wrap after '/'.
        Assert.Contains("&lt;i&gt;team&lt;/i&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&quot;budget&quot;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<i>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b id=served", html, StringComparison.Ordinal);

        // Offline: nothing is loaded from elsewhere.
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=\"", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=\"http", html, StringComparison.OrdinalIgnoreCase);

        // Figures: today's spend, the budget over its limit and blocking, the fallback flagged, no demo banner.
        Assert.Contains("$0.3750", html, StringComparison.Ordinal);
        Assert.Contains("$0.1250 of $0.1000", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge bad\">block</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge warn\">fallback</span>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("demo-banner", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_KeysAndNoBearer_Returns401HtmlWithoutData()
    {
        await using var collector = await CollectorHost.StartAsync();
        using (var ingest = collector.Client(CollectorHost.IngestKey))
        {
            await Api.Api.IngestAsync(ingest, [Records.Call(app: "secret-app", startedAt: TimeProvider.System.GetUtcNow())]);
        }

        using var anonymous = collector.Client(key: null);
        using var response = await anonymous.GetAsync(new Uri("/", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("Authorization: Bearer", html, StringComparison.Ordinal);
        Assert.Contains("reverse proxy", html, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-app", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_KeyInQueryString_IsNotAccepted()
    {
        await using var collector = await CollectorHost.StartAsync();
        using var anonymous = collector.Client(key: null);

        using var response = await anonymous.GetAsync(new Uri("/?key=" + CollectorHost.ReadKey, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(CollectorHost.IngestKey, HttpStatusCode.Forbidden)]
    [InlineData("not-a-key-of-this-collector", HttpStatusCode.Unauthorized)]
    [InlineData(CollectorHost.ReadKey, HttpStatusCode.OK)]
    [InlineData(CollectorHost.AdminKey, HttpStatusCode.OK)]
    public async Task Get_WithKey_NeedsTheReadOrAdminKey(string key, HttpStatusCode expected)
    {
        await using var collector = await CollectorHost.StartAsync();
        using var client = collector.Client(key);

        using var response = await client.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
