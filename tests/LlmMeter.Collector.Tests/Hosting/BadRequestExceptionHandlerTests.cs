using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;
using LlmMeter.Collector.Tests.Metrics;
using LlmMeter.Collector.Tests.Policy;
using LlmMeter.Collector.Tests.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Collector.Tests.Hosting;

/// <summary>One collector, with both alert receivers' secrets configured and its logs captured, for the raw-socket framing checks.</summary>
public sealed class RawSocketHostFixture : IAsyncLifetime
{
    internal LogCapture Logs { get; } = new();

    internal TempCollector Collector { get; private set; } = null!;

    internal CollectorHost Host => Collector.Host;

    public async Task InitializeAsync() => Collector = await TempCollector.StartAsync(
        [
            $"--Receivers:AlertmanagerToken={PolicyApi.AlertmanagerToken}",
            $"--Receivers:GrafanaSecret={PolicyApi.GrafanaSecret}",
            // "Request finished ... - 400" for every request, answered or aborted: the server's own account of each.
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information",
        ],
        services => services.AddSingleton<ILoggerProvider>(Logs));

    public async Task DisposeAsync() => await Collector.DisposeAsync();
}

/// <summary>
/// Malformed request framing, sent over a raw socket to every endpoint that reads a body (the POST and PUT routes of
/// the endpoint data source): Kestrel's <c>BadHttpRequestException</c> becomes a 4xx ProblemDetails, never a 500.
/// </summary>
public sealed partial class BadRequestExceptionHandlerTests(RawSocketHostFixture fixture) : IClassFixture<RawSocketHostFixture>
{
    public static TheoryData<string, string, string, bool> Framings => new()
    {
        // name, framing header, raw body, half-close after it
        { "bad chunk size", "Transfer-Encoding: chunked", "zz\r\n{}\r\n0\r\n\r\n", false },
        { "chunk data without its CRLF", "Transfer-Encoding: chunked", "2\r\n{}XX0\r\n\r\n", false },
        { "chunk size overflowing", "Transfer-Encoding: chunked", "fffffffffffffffffff\r\n{}\r\n0\r\n\r\n", false },
        { "bad chunk extension", "Transfer-Encoding: chunked", "2;\r\r\n{}\r\n0\r\n\r\n", false },
        { "chunked body cut off", "Transfer-Encoding: chunked", "40\r\n[{\"id\":\"gen-", true },
        { "body shorter than its Content-Length", "Content-Length: 100", "[{\"id\":", true },
    };

    [Theory]
    [MemberData(nameof(Framings))]
    public async Task BodyEndpoint_MalformedFraming_Returns4xxProblemDetailsNever5xx(string name, string framing, string body, bool endOfInput)
    {
        var bodyRoutes = AppRoutes.Of(fixture.Host.Services).Where(r => !r.AnyMethod && r.Method is "POST" or "PUT" or "PATCH").ToList();
        Assert.True(bodyRoutes.Count >= 5, $"Expected the body endpoints, found: {string.Join(", ", bodyRoutes)}");
        var finishedBefore = Finished().Count;

        foreach (var route in bodyRoutes)
        {
            var head = $"{route.Method} {route.Path} HTTP/1.1\r\nAuthorization: Bearer {CollectorHost.AdminKey}\r\nContent-Type: application/json\r\n{framing}";

            var response = await RawHttp.SendAsync(fixture.Host.BaseAddress, head, Encoding.ASCII.GetBytes(body), endOfInput);

            if (response is null)
            {
                // Kestrel takes a half-close for a client that has gone and closes without answering; the server's log
                // below still shows how the request ended.
                Assert.True(endOfInput, $"{route} with {name}: the connection closed without an answer.");
                continue;
            }

            Assert.True(response.Status is 400 or 413, $"{route} with {name}: {response}\n{Errors()}");
            Assert.Equal("application/problem+json", response.ContentType);
            Assert.Equal(response.Status, response.Json().GetProperty("status").GetInt32());
        }

        await WaitFor.ConditionAsync(() => Finished().Count >= finishedBefore + bodyRoutes.Count, $"{bodyRoutes.Count} requests finished for {name}: {Errors()}");
        var finished = Finished().Skip(finishedBefore).ToList();
        Assert.True(finished.TrueForAll(line => StatusOf(line) is >= 400 and < 500), string.Join('\n', finished));
        Assert.True(Errors().Length == 0, Errors());
    }

    [Fact]
    public async Task Post_BadChunkSize_DetailSaysWhatWasWrong()
    {
        var head = $"POST /v1/calls HTTP/1.1\r\nAuthorization: Bearer {CollectorHost.IngestKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked";

        var response = await RawHttp.SendAsync(fixture.Host.BaseAddress, head, "zz\r\n[]\r\n0\r\n\r\n"u8.ToArray());

        Assert.NotNull(response);
        Assert.Equal(400, response.Status);
        Assert.Contains("chunk", response.Json().GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Post_WellFormedChunkedBody_IsReadNormally()
    {
        // The control: the same raw client with valid framing gets the endpoint's own answer.
        var head = $"POST /v1/calls HTTP/1.1\r\nAuthorization: Bearer {CollectorHost.IngestKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked";

        var response = await RawHttp.SendAsync(fixture.Host.BaseAddress, head, "2\r\n[]\r\n0\r\n\r\n"u8.ToArray());

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
    }

    private string Errors() => string.Join('\n', fixture.Logs.Lines.Where(l => l.Level >= LogLevel.Error).Select(l => l.Text));

    private List<string> Finished() =>
        [.. fixture.Logs.Lines.Where(l => l.Text.StartsWith("Request finished", StringComparison.Ordinal)).Select(l => l.Text)];

    // "Request finished HTTP/1.1 POST http://127.0.0.1:1234/v1/calls - 400 - application/problem+json 1.2ms"
    private static int StatusOf(string finished) =>
        int.Parse(FinishedStatus().Match(finished).Groups["status"].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);

    [System.Text.RegularExpressions.GeneratedRegex(@" - (?<status>\d{3}) ", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex FinishedStatus();
}
