namespace LlmMeter.Pricing.Internal;

/// <summary>
/// What a model id's words say without a catalog: its variant (<c>:free</c>), and whether two ids name one model
/// (the same words in any order, a release date aside: <c>anthropic/claude-sonnet-4.6</c> and
/// <c>anthropic/claude-4.6-sonnet-20260217</c>).
/// </summary>
internal static class ModelNames
{
    /// <summary>True for a <c>:free</c> variant id, which OpenRouter never bills.</summary>
    public static bool IsFreeVariant(string model) => model.EndsWith(":free", StringComparison.OrdinalIgnoreCase);

    public static ReadOnlySpan<char> StripVariant(string model)
    {
        var colon = model.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? model.AsSpan(0, colon) : model.AsSpan();
    }

    /// <summary>True when the ids have the same vendor and the same words (variant, order, separators and a trailing date aside).</summary>
    public static bool SameWords(string a, string b)
    {
        var x = StripVariant(a);
        var y = StripVariant(b);
        if (x.Equals(y, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var xs = x.IndexOf('/');
        var ys = y.IndexOf('/');
        if (xs < 0 || ys < 0 || !x[..xs].Equals(y[..ys], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var wx = Words(x[(xs + 1)..]);
        var wy = Words(y[(ys + 1)..]);
        return wx.Count == wy.Count && wx.Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(wy.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
    }

    // "claude-4.5-sonnet-20250929" -> claude, 4, 5, sonnet; "gpt-4o-2024-05-13" -> gpt, 4o.
    private static List<string> Words(ReadOnlySpan<char> name)
    {
        var words = new List<string>();
        while (!name.IsEmpty)
        {
            var end = name.IndexOfAny("-._");
            var word = end < 0 ? name : name[..end];
            if (!word.IsEmpty)
            {
                words.Add(word.ToString());
            }

            name = end < 0 ? default : name[(end + 1)..];
        }

        // A trailing date: YYYYMMDD / MMDD in one word, or YYYY-MM-DD in three.
        var n = words.Count;
        if (n >= 4 && IsDigits(words[n - 3], 4) && IsDigits(words[n - 2], 2) && IsDigits(words[n - 1], 2))
        {
            words.RemoveRange(n - 3, 3);
        }
        else if (n >= 2 && words[n - 1].Length >= 4 && IsDigits(words[n - 1], words[n - 1].Length))
        {
            words.RemoveAt(n - 1);
        }

        return words;
    }

    private static bool IsDigits(string word, int length) => word.Length == length && word.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;
}
