using System.Net.Http.Headers;
using System.Text;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Docs;

/// <summary>The README's quick start and the docs' curl examples work against the real code.</summary>
public sealed class DocsExamplesTests
{
    private const string DocumentedBase = "http://127.0.0.1:5080";

    [Fact]
    public void QuickStart_ReadmeCommands_AreTheOnesTheRepositoryUses()
    {
        var readme = DocFiles.Read("README.md");
        Assert.Contains("bash eng/test.sh", readme, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project src/LlmMeter.Collector -- --demo", readme, StringComparison.Ordinal);
        Assert.Contains("bash eng/test.sh", DocFiles.Read(".ci/run"), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(DocFiles.RepoRoot, "eng", "test.sh")), "eng/test.sh is missing");
        Assert.True(File.Exists(Path.Combine(DocFiles.RepoRoot, "src", "LlmMeter.Collector", "LlmMeter.Collector.csproj")), "src/LlmMeter.Collector is missing");
        Assert.Equal(Collector.Demo.DemoMode.Switch, "--demo");
    }

    [Fact]
    public void DocsLinks_ReadmeAndDocs_PointToExistingFiles()
    {
        foreach (var doc in DocFiles.Markdown().Append(Path.Combine(DocFiles.RepoRoot, "README.md")))
        {
            foreach (System.Text.RegularExpressions.Match link in System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(doc), @"\]\(([^)#:\s]+\.md)(#[^)]*)?\)"))
            {
                var target = Path.Combine(Path.GetDirectoryName(doc)!, link.Groups[1].Value);
                Assert.True(File.Exists(target), $"{Path.GetFileName(doc)} links to missing {link.Groups[1].Value}");
            }
        }
    }

    [Fact]
    public async Task CurlExamples_InDocs_AnswerSuccessAgainstARealCollector()
    {
        await using var host = await CollectorHost.StartAsync();
        using var http = new HttpClient();
        var ran = 0;
        foreach (var doc in DocFiles.Markdown())
        {
            foreach (var words in DocFiles.CurlCommands(File.ReadAllText(doc)))
            {
                using var request = ToRequest(words, host);
                if (request is null)
                {
                    continue;
                }

                var shown = $"{Path.GetFileName(doc)}: {string.Join(' ', words)}";
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{shown}\n-> {(int)response.StatusCode} {body}");
                ran++;
            }
        }

        Assert.True(ran >= 3, $"expected the docs' curl examples, found {ran}");
    }

    [Fact]
    public void CurlCommands_MultiLineQuotedBody_ParsedAsOneCommand()
    {
        const string markdown = "```sh\ncurl -s -X POST http://127.0.0.1:5080/v1/x -H \"Authorization: Bearer $ADMIN\" \\\n  -d '{\n \"a\": 1\n}'\ncurl -s 'http://127.0.0.1:5080/v1/y?a=1,b'\n```\n";
        var commands = DocFiles.CurlCommands(markdown).ToList();
        Assert.Equal(2, commands.Count);
        Assert.Equal(["curl", "-s", "-X", "POST", "http://127.0.0.1:5080/v1/x", "-H", "Authorization: Bearer $ADMIN", "-d", "{\n \"a\": 1\n}"], commands[0]);
        Assert.Equal(["curl", "-s", "http://127.0.0.1:5080/v1/y?a=1,b"], commands[1]);
    }

    // The documented base address becomes the host's; $ADMIN/$READ/$INGEST-style variables become its keys. An example
    // without Authorization is written for a collector without keys (the default): the admin key stands in for that.
    private static HttpRequestMessage? ToRequest(List<string> words, CollectorHost host)
    {
        var args = words.SkipWhile(w => w != "curl").Skip(1).Select(w => Substitute(w, host)).ToList();
        string? method = null, url = null, body = null;
        var headers = new List<(string Name, string Value)>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-X" or "--request":
                    method = args[++i];
                    break;
                case "-H" or "--header":
                    var header = args[++i];
                    var colon = header.IndexOf(':', StringComparison.Ordinal);
                    headers.Add((header[..colon].Trim(), header[(colon + 1)..].Trim()));
                    break;
                case "-d" or "--data" or "--data-raw" or "--data-binary":
                    body = args[++i];
                    Assert.False(body.StartsWith('@'), $"curl example reads a file, which the docs test cannot run: {string.Join(' ', words)}");
                    break;
                case "-o" or "--output" or "-w" or "--write-out":
                    i++;
                    break;
                default:
                    if (!args[i].StartsWith('-'))
                    {
                        url = args[i];
                    }

                    break;
            }
        }

        if (url is null || !url.StartsWith(host.BaseAddress.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal))
        {
            return null;
        }

        var request = new HttpRequestMessage(new HttpMethod(method ?? (body is null ? "GET" : "POST")), url);
        string? contentType = body is null ? null : "application/x-www-form-urlencoded";
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CollectorHost.AdminKey);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        return request;
    }

    private static string Substitute(string word, CollectorHost host)
    {
        var text = word.Replace(DocumentedBase, host.BaseAddress.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal);
        return System.Text.RegularExpressions.Regex.Replace(text, @"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", m =>
        {
            var name = m.Groups[1].Value.ToUpperInvariant();
            return name.Contains("INGEST", StringComparison.Ordinal) ? CollectorHost.IngestKey
                : name.Contains("READ", StringComparison.Ordinal) ? CollectorHost.ReadKey
                : name.Contains("ADMIN", StringComparison.Ordinal) || name.Contains("KEY", StringComparison.Ordinal) ? CollectorHost.AdminKey
                : throw new InvalidOperationException($"curl example uses ${m.Groups[1].Value}, which the docs test does not know.");
        });
    }
}
