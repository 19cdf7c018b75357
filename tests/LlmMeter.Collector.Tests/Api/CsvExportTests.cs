using System.Net;
using System.Text;
using LlmMeter.Collector.Store;
using LlmMeter.Collector.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmMeter.Collector.Tests.Api;

public sealed class CsvExportTests
{
    private const string Header =
        "id,started_at,app,team,endpoint,requested_model,served_model,fallback_used,provider,stream,status_code,outcome,"
        + "error_type,finish_reason,latency_ms,ttft_ms,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens,cost_usd,cost_source";

    private static readonly DateTimeOffset s_at = new(2026, 11, 27, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task Export_TrickyValues_QuotedAndFormulasNeutralised()
    {
        await using var host = await CollectorHost.StartAsync();
        LlmCallRecord[] records =
        [
            Records.Call(id: "gen-1", startedAt: s_at.AddSeconds(4), app: "=HYPERLINK(\"http://evil.example\",\"click\")", team: "a,b"),
            Records.Call(id: "gen-2", startedAt: s_at.AddSeconds(3), app: "+cmd|' /C calc'!A0", team: "@SUM(1)"),
            Records.Call(id: "gen-\"3\"", startedAt: s_at.AddSeconds(2), app: "-2+3", team: "line\nbreak"),
            Records.Call(id: "gen-4", startedAt: s_at.AddSeconds(1), app: "\tTabbed", team: "plain", cost: null, outcome: LlmCallOutcome.HttpError),
        ];
        // Straight into the store: ingest now refuses control characters (the tab, the line break), which records
        // stored before that rule may still hold.
        await host.Services.GetRequiredService<ICallStore>().InsertAsync(records, CancellationToken.None);
        using var read = host.Client(CollectorHost.ReadKey);

        using var response = await read.GetAsync("v1/export.csv?from=2026-11-27&to=2026-11-28", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("attachment; filename=\"llmmeter-calls.csv\"", Assert.Single(response.Content.Headers.GetValues("Content-Disposition")));
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith(Header + "\r\n", text, StringComparison.Ordinal);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",\"a,b\",", text, StringComparison.Ordinal);

        var rows = Csv.Parse(text);
        Assert.Equal(Header.Split(','), rows[0]);
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.Equal(22, r.Length));
        Assert.Equal(
            [
                ["gen-1", "'=HYPERLINK(\"http://evil.example\",\"click\")", "a,b"],
                ["gen-2", "'+cmd|' /C calc'!A0", "'@SUM(1)"],
                ["gen-\"3\"", "'-2+3", "line\nbreak"],
                ["gen-4", "'\tTabbed", "plain"],
            ],
            rows.Skip(1).Select(r => new[] { r[0], r[2], r[3] }));
        Assert.Equal(
            ["gen-1", "2026-11-27T10:15:04.000Z", "chat.completions", "openai/gpt-4o-mini", "openai/gpt-4o-mini", "false", "OpenAI", "false", "200", "success", "", "stop",
             "950.75", "180.25", "1200", "200", "300", "50", "0.0012", "reported"],
            rows[1].Take(2).Concat(rows[1].Skip(4)));
        Assert.Equal(["429", "http_error", "rate_limited", "", "", "none"], new[] { rows[4][10], rows[4][11], rows[4][12], rows[4][13], rows[4][20], rows[4][21] });
    }

    [Fact]
    public async Task Export_ManyRows_StreamsChunkedWithEveryMatchingRowNewestFirst()
    {
        await using var host = await CollectorHost.StartAsync();
        var ingest = host.Client(CollectorHost.IngestKey);
        var wanted = Enumerable.Range(0, 1500).Select(i => Records.Call(id: $"gen-csv-{i:D4}", startedAt: s_at.AddSeconds(i), team: "wanted")).ToList();
        await Api.IngestAsync(ingest, wanted);
        await Api.IngestAsync(ingest, Enumerable.Range(0, 20).Select(i => Records.Call(startedAt: s_at.AddSeconds(i), team: "other")));
        using var read = host.Client(CollectorHost.ReadKey);

        using var response = await read.GetAsync("v1/export.csv?team=wanted", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Written while read from the store: no length known up front, so chunked.
        Assert.Null(response.Content.Headers.ContentLength);
        Assert.True(response.Headers.TransferEncodingChunked);
        var rows = Csv.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(wanted.Select(r => r.Id).Reverse(), rows.Skip(1).Select(r => r[0]));
    }

    [Fact]
    public async Task Export_NoMatch_HeaderOnly()
    {
        await using var host = await CollectorHost.StartAsync();
        using var read = host.Client(CollectorHost.ReadKey);

        var text = await read.GetStringAsync("v1/export.csv?app=nobody");

        Assert.Equal(Header + "\r\n", text);
    }

    /// <summary>A strict RFC 4180 reader for the assertions.</summary>
    private static class Csv
    {
        public static List<string[]> Parse(string text)
        {
            var rows = new List<string[]>();
            var fields = new List<string>();
            var field = new StringBuilder();
            var i = 0;
            while (i < text.Length)
            {
                if (text[i] == '"')
                {
                    i++;
                    while (true)
                    {
                        if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                        }
                        else if (text[i] == '"')
                        {
                            i++;
                            break;
                        }
                        else
                        {
                            field.Append(text[i++]);
                        }
                    }
                }
                else if (text[i] == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    i++;
                }
                else if (text[i] == '\r' && text[i + 1] == '\n')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    rows.Add([.. fields]);
                    fields.Clear();
                    i += 2;
                }
                else
                {
                    Assert.NotEqual('\n', text[i]);
                    field.Append(text[i++]);
                }
            }

            Assert.Empty(fields);
            return rows;
        }
    }
}
