using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

/// <summary>One collector for the key checks (they store nothing but one record for the reads).</summary>
public sealed class AuthHostFixture : IAsyncLifetime
{
    public static readonly LlmCallRecord Stored = Records.Call(id: "gen-auth-1");

    internal CollectorHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await CollectorHost.StartAsync();
        using var client = Host.Client(CollectorHost.AdminKey);
        await Api.IngestAsync(client, [Stored]);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class AuthTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "POST", "v1/calls" },
        { "GET", "v1/spend" },
        { "GET", "v1/calls" },
        { "GET", "v1/calls/gen-auth-1" },
        { "GET", "v1/export.csv" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_NoKey_Returns401WithBearerChallenge(string method, string url)
    {
        using var response = await SendAsync(fixture.Host.Client(key: null), method, url);

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_UnknownKey_Returns401(string method, string url)
    {
        using var response = await SendAsync(fixture.Host.Client("not-a-configured-key-123"), method, url);

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_KeyOfOtherScope_Returns403(string method, string url)
    {
        var wrongKey = method == "POST" ? CollectorHost.ReadKey : CollectorHost.IngestKey;

        using var response = await SendAsync(fixture.Host.Client(wrongKey), method, url);

        await Api.ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_RightKeyOrAdminKey_Succeeds(string method, string url)
    {
        var rightKey = method == "POST" ? CollectorHost.IngestKey : CollectorHost.ReadKey;
        foreach (var key in new[] { rightKey, CollectorHost.AdminKey })
        {
            using var response = await SendAsync(fixture.Host.Client(key), method, url);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Post_UnauthorizedWithBadBody_Returns401NotValidationError()
    {
        using var client = fixture.Host.Client(key: null);

        using var response = await client.PostAsync("v1/calls", Api.Json("{not json"));

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string url)
    {
        using (client)
        {
            // An already-stored record: a successful POST answers 200 with one duplicate and changes nothing.
            var response = method == "POST"
                ? await client.PostAsync(url, Api.Json(Api.ArrayJson([AuthHostFixture.Stored])))
                : await client.GetAsync(url);
            await response.Content.LoadIntoBufferAsync();
            return response;
        }
    }
}
