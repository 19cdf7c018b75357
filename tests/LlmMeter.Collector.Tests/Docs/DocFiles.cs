using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace LlmMeter.Collector.Tests.Docs;

/// <summary>The repository's documentation, and the curl commands its code blocks contain.</summary>
internal static partial class DocFiles
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(RepoRoot, relativePath));

    public static IEnumerable<string> Markdown() =>
        Directory.GetFiles(Path.Combine(RepoRoot, "docs"), "*.md").Order(StringComparer.Ordinal);

    /// <summary>Every curl command in the fenced code blocks of <paramref name="markdown"/>, as shell words.</summary>
    public static IEnumerable<List<string>> CurlCommands(string markdown)
    {
        foreach (Match block in FencedBlock().Matches(markdown))
        {
            var code = block.Groups[1].Value;
            foreach (Match start in CurlStart().Matches(code))
            {
                yield return Words(code, start.Index);
            }
        }
    }

    // Shell words from `start` to the end of the command: single quotes literal, double quotes and bare words as is
    // (variables are substituted later), backslash-newline continues the line; an unquoted newline, |, ;, & or > ends it.
    private static List<string> Words(string code, int start)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = start; i < code.Length; i++)
        {
            var c = code[i];
            if (c == '\\' && i + 1 < code.Length && code[i + 1] is '\n' or '\r')
            {
                i += code[i + 1] == '\r' && i + 2 < code.Length && code[i + 2] == '\n' ? 2 : 1;
                continue;
            }

            if (c is '\'' or '"')
            {
                var end = code.IndexOf(c, i + 1);
                word.Append(code, i + 1, end - i - 1);
                inWord = true;
                i = end;
                continue;
            }

            if (c is '\n' or '|' or ';' or '&' or '>' || char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                if (c is '\n' or '|' or ';' or '&' or '>')
                {
                    break;
                }

                continue;
            }

            word.Append(c);
            inWord = true;
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    // From the test binary; with an --artifacts-path outside the repository, from this source file's compile-time path.
    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? string.Empty })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LlmMeter.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No LlmMeter.sln above {AppContext.BaseDirectory} or {sourceFile}.");
    }

    [GeneratedRegex(@"^```[^\n]*\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"^[ \t]*(?:\$[ \t]+)?curl\s", RegexOptions.Multiline)]
    private static partial Regex CurlStart();
}
