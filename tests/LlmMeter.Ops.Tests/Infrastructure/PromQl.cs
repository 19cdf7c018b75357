using System.Text.RegularExpressions;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>What the lint needs to know about a PromQL expression: the metric names it reads and its range selectors.</summary>
internal static partial class PromQl
{
    /// <summary>
    /// The series names an expression reads: identifiers outside strings, label matchers and grouping clauses
    /// (<c>by</c>, <c>on</c>, ...), which leaves metric names, recorded series (<c>level:metric:operation</c>),
    /// function names and keywords; only those containing <paramref name="marker"/> are returned.
    /// </summary>
    public static IReadOnlySet<string> SeriesNames(string expression, string marker = "llmmeter_")
    {
        var text = Strings().Replace(expression, "\"\"");
        text = Matchers().Replace(text, "{}");
        text = Grouping().Replace(text, "${keyword}()");
        return Identifiers().Matches(text).Select(m => m.Value).Where(v => v.Contains(marker, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The metric family of an exposed or queried name: histogram parts (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>) map to their histogram.</summary>
    public static string Family(string name) =>
        name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^7]
        : name.EndsWith("_count", StringComparison.Ordinal) ? name[..^6]
        : name.EndsWith("_sum", StringComparison.Ordinal) ? name[..^4]
        : name;

    /// <summary>Every range selector <c>[...]</c> with the function it is an argument of (empty when none).</summary>
    public static IEnumerable<(string Function, string Range)> Ranges(string expression)
    {
        var text = Strings().Replace(expression, "\"\"");
        foreach (Match range in RangeSelector().Matches(text))
        {
            // Walk back to the '(' that opens the call this selector is inside, then read the function name.
            var depth = 0;
            var i = range.Index - 1;
            for (; i >= 0; i--)
            {
                if (text[i] == ')')
                {
                    depth++;
                }
                else if (text[i] == '(' && depth-- == 0)
                {
                    break;
                }
            }

            var function = i > 0 ? FunctionBefore().Match(text[..i]).Groups["name"].Value : string.Empty;
            yield return (function, range.Groups["range"].Value);
        }
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"", RegexOptions.CultureInvariant)]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^{}]*\}", RegexOptions.CultureInvariant)]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(?<keyword>by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.CultureInvariant)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"[A-Za-z_:][A-Za-z0-9_:]*", RegexOptions.CultureInvariant)]
    private static partial Regex Identifiers();

    [GeneratedRegex(@"\[(?<range>[^\[\]]+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex RangeSelector();

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex FunctionBefore();
}
