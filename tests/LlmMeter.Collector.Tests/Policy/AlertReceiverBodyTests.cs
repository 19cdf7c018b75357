using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Policy;

/// <summary>Alert notifications whose text cannot be decoded: 400 naming where, never a 500, and no override changed.</summary>
public sealed class AlertReceiverBodyTests
{
    public static TheoryData<string, byte[], string?> Undecodable => new()
    {
        { "invalid UTF-8 in a label value", Bytes("{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"llmmeter_action\":\"block\",\"app\":\"", [0xC3, 0x28], "\"}}]}"), "alerts[0].labels.app" },
        { "lone surrogate escape in a label value", Ascii("{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"llmmeter_action\":\"block\",\"app\":\"\\ud800\"}}]}"), "alerts[0].labels.app" },
        { "lone surrogate escape in the status", Ascii("{\"alerts\":[{\"status\":\"\\udfff\",\"labels\":{}}]}"), "alerts[0].status" },
        { "undecodable label name", Ascii("{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"\\ud800\":\"x\"}}]}"), "alerts[0].labels" },
        { "undecodable top-level property name", Bytes("{\"", [0xFE], "\":1,\"alerts\":[]}"), null },
    };

    [Theory]
    [MemberData(nameof(Undecodable))]
    public async Task Receivers_UndecodableText_Return400NamingTheFieldAndChangeNothing(string name, byte[] body, string? field)
    {
        await using var host = await CollectorHost.StartAsync(
            $"--Receivers:AlertmanagerToken={PolicyApi.AlertmanagerToken}",
            $"--Receivers:GrafanaSecret={PolicyApi.GrafanaSecret}");
        using var client = host.Client(null);

        using var alertmanager = Request("v1/alerts/alertmanager", body);
        alertmanager.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PolicyApi.AlertmanagerToken);
        using var grafana = Request("v1/alerts/grafana", body);
        grafana.Headers.Add("X-Grafana-Alerting-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(PolicyApi.GrafanaSecret), body)));

        foreach (var request in new[] { alertmanager, grafana })
        {
            using var response = await client.SendAsync(request);

            var problem = await Api.Api.ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.True(
                field is null ? !problem.TryGetProperty("field", out _) : problem.GetProperty("field").GetString() == field,
                $"{request.RequestUri} {name}: {problem}");
        }

        Assert.Empty(await PolicyApi.OverridesAsync(host));
    }

    private static HttpRequestMessage Request(string url, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Bytes(string before, byte[] raw, string after) => [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
}
