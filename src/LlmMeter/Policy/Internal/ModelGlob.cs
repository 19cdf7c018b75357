namespace LlmMeter.Policy.Internal;

/// <summary>Ordinal glob match without allocation: <c>*</c> any run of characters, <c>?</c> exactly one.</summary>
internal static class ModelGlob
{
    public static bool IsGlob(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    public static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        // Iterative matcher with one backtrack point: linear for the patterns budgets use.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
