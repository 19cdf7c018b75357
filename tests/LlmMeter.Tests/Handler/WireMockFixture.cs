using WmRequest = WireMock.RequestBuilders.Request;
using WmResponse = WireMock.ResponseBuilders.Response;
using WireMock.Server;
using WireMock.Settings;

namespace LlmMeter.Tests.Handler;

/// <summary>WireMock.Net on 127.0.0.1 standing in for OpenRouter; each test gets a fresh server.</summary>
public sealed class FakeOpenRouter : IDisposable
{
    public FakeOpenRouter()
    {
        Server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        ApiRoot = new Uri(Server.Url!.TrimEnd('/') + "/api/v1/");
    }

    public WireMockServer Server { get; }

    public Uri ApiRoot { get; }

    public void Json(string path, string body, int status = 200, params (string Name, string Value)[] headers)
    {
        var response = WmResponse.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }

        Server.Given(WmRequest.Create().WithPath("/api/v1/" + path).UsingPost()).RespondWith(response);
    }

    public void Raw(string path, int status, string contentType, string body) =>
        Server.Given(WmRequest.Create().WithPath("/api/v1/" + path).UsingPost())
            .RespondWith(WmResponse.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body));

    public void Sse(string path, string body) =>
        Server.Given(WmRequest.Create().WithPath("/api/v1/" + path).UsingPost())
            .RespondWith(WmResponse.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(body));

    public void Models(string body) =>
        Server.Given(WmRequest.Create().WithPath("/api/v1/models").UsingGet())
            .RespondWith(WmResponse.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body));

    /// <summary>Bodies of the requests the server received, as bytes.</summary>
    public IReadOnlyList<byte[]> ReceivedBodies() =>
        [.. Server.LogEntries.Select(e => e.RequestMessage.BodyAsBytes ?? System.Text.Encoding.UTF8.GetBytes(e.RequestMessage.Body ?? string.Empty))];

    public void Dispose() => Server.Stop();
}
