using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;
using static LlmMeter.Collector.Tests.Api.Api;

namespace LlmMeter.Collector.Tests.Budgets;

/// <summary>Bodies of <c>POST/PUT /v1/budgets</c> that are not budgets at the byte level: too large however framed, undecodable text.</summary>
public sealed class BudgetBodyTests
{
    private const string Valid = """{"id":"body-check","name":"Body check","limit_usd":10}""";

    public static TheoryData<string, byte[], string> Undecodable => new()
    {
        { "invalid UTF-8 in a value", Bytes("{\"id\":\"body-check\",\"name\":\"", [0xC3, 0x28], "\",\"limit_usd\":10}"), "name" },
        { "invalid UTF-8 in a nested value", Bytes("{\"id\":\"body-check\",\"name\":\"n\",\"limit_usd\":10,\"scope\":{\"app\":\"", [0xFF], "\"}}"), "scope.app" },
        { "lone high surrogate escape", Ascii("{\"id\":\"body-check\",\"name\":\"\\ud800\",\"limit_usd\":10}"), "name" },
        { "lone low surrogate escape in a threshold", Ascii("{\"id\":\"body-check\",\"name\":\"n\",\"limit_usd\":10,\"thresholds\":[{\"percent\":50,\"action\":\"\\udc00\"}]}"), "thresholds[0].action" },
        { "undecodable property name", Ascii("{\"id\":\"body-check\",\"name\":\"n\",\"limit_usd\":10,\"scope\":{\"\\ud800x\":\"a\"}}"), "scope" },
        { "undecodable top-level property name", Bytes("{\"", [0xFE], "\":1}"), "body" },
    };

    [Theory]
    [MemberData(nameof(Undecodable))]
    public async Task PostAndPut_UndecodableText_Returns400NamingTheField(string name, byte[] body, string field)
    {
        await using var host = await CollectorHost.StartAsync();
        using var admin = host.Client();

        foreach (var (method, url) in new[] { (HttpMethod.Post, "v1/budgets"), (HttpMethod.Put, "v1/budgets/body-check") })
        {
            using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

            using var response = await admin.SendAsync(request);

            var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.True(field == problem.GetProperty("field").GetString(), $"{method} {name}: {problem}");
        }

        var list = await GetJsonAsync(admin, "v1/budgets");
        Assert.Empty(list.GetProperty("budgets").EnumerateArray());
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheLimit_Returns413AndCreatesNothing()
    {
        await using var host = await CollectorHost.StartAsync();
        using var admin = host.Client();
        // Valid JSON all the way (a long name), sent without a Content-Length: only counting while reading catches it.
        var huge = Valid.Replace("\"Body check\"", "\"" + new string('x', 300 * 1024) + "\"", StringComparison.Ordinal);

        using var response = await admin.PostAsync("v1/budgets", Chunked(huge, "application/json"));

        await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty((await GetJsonAsync(admin, "v1/budgets")).GetProperty("budgets").EnumerateArray());
    }

    [Fact]
    public async Task Post_ChunkedValidBudget_IsCreated()
    {
        await using var host = await CollectorHost.StartAsync();
        using var admin = host.Client();

        using var response = await admin.PostAsync("v1/budgets", Chunked(Valid, "application/json"));

        await ReadJsonAsync(response, HttpStatusCode.Created);
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Bytes(string before, byte[] raw, string after) => [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
}
