using System.Text;
using LlmMeter.Response;

namespace LlmMeter.Tests.Response;

/// <summary>
/// A response body made of literal text and long runs of a repeated pattern, handed out in pieces without ever
/// being held whole: a 50 MB token costs the test no more memory than a 2 KB one.
/// </summary>
internal sealed class GeneratedBody
{
    private readonly List<(byte[] Pattern, long Repeats)> _parts = [];

    public long Length => _parts.Sum(p => p.Pattern.Length * p.Repeats);

    public GeneratedBody Text(string text)
    {
        _parts.Add((Encoding.UTF8.GetBytes(text), 1));
        return this;
    }

    /// <summary>Appends <paramref name="pattern"/> repeated until <paramref name="bytes"/> (a multiple of its length).</summary>
    public GeneratedBody Run(string pattern, long bytes)
    {
        var raw = Encoding.UTF8.GetBytes(pattern);
        Assert.Equal(0, bytes % raw.Length);
        _parts.Add((raw, bytes / raw.Length));
        return this;
    }

    public GeneratedBody Then(GeneratedBody other)
    {
        _parts.AddRange(other._parts);
        return this;
    }

    public byte[] ToArray()
    {
        var all = new byte[Length];
        var at = 0;
        foreach (var piece in Pieces(() => 1 << 20))
        {
            piece.Span.CopyTo(all.AsSpan(at));
            at += piece.Length;
        }

        return all;
    }

    /// <summary>The body in pieces of the sizes <paramref name="nextSize"/> gives (the last may be shorter); one buffer reused.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Pieces(Func<int> nextSize)
    {
        var buffer = Array.Empty<byte>();
        var part = 0;
        long offset = 0; // Within the current part.
        while (part < _parts.Count)
        {
            var size = nextSize();
            if (buffer.Length < size)
            {
                buffer = new byte[size];
            }

            var filled = 0;
            while (filled < size && part < _parts.Count)
            {
                var (pattern, repeats) = _parts[part];
                var at = (int)(offset % pattern.Length);
                var n = (int)Math.Min(Math.Min(size - filled, pattern.Length - at), (pattern.Length * repeats) - offset);
                pattern.AsSpan(at, n).CopyTo(buffer.AsSpan(filled));
                filled += n;
                offset += n;
                if (offset == pattern.Length * repeats)
                {
                    part++;
                    offset = 0;
                }
            }

            yield return buffer.AsMemory(0, filled);
        }
    }

    /// <summary>What a parser made of the body fed in the given pieces.</summary>
    public Parsed Parse(bool eventStream, Func<int> nextSize, bool responsesApi = false)
    {
        var facts = new ResponseFacts();
        var warnings = new Warnings();
        using var parser = new ResponseBodyParser(facts, eventStream, warnings, responsesApi);
        foreach (var piece in Pieces(nextSize))
        {
            parser.Feed(piece.Span);
        }

        parser.Complete();
        return new Parsed(facts, warnings.All, parser.BytesExamined, parser.KeptCapacity);
    }

    /// <summary>Everything the facts hold, field by field, to compare two parses.</summary>
    public static string Describe(ResponseFacts facts, IEnumerable<string> warnings) =>
        string.Join("; ", typeof(ResponseFacts).GetFields().Select(f => $"{f.Name}={f.GetValue(facts)}")) + "; warnings=" + string.Join(",", warnings);

    internal sealed record Parsed(ResponseFacts Facts, IReadOnlyList<string> Warnings, long BytesExamined, long KeptCapacity)
    {
        public string Description => Describe(Facts, Warnings);
    }

    private sealed class Warnings : IWarningSink
    {
        public List<string> All { get; } = [];

        public void AddWarning(string warning) => All.Add(warning);
    }
}
