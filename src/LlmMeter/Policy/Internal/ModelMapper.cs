namespace LlmMeter.Policy.Internal;

/// <summary>Maps a model to its replacement: exact id, then globs (longest first), then <c>*</c>; null means unchanged.</summary>
internal sealed class ModelMapper
{
    private readonly Dictionary<string, string>? _exact;
    private readonly (string Pattern, string Target)[] _globs = [];
    private readonly string? _any;

    private ModelMapper(string any) => _any = any;

    private ModelMapper(IReadOnlyDictionary<string, string> map)
    {
        foreach (var (pattern, target) in map)
        {
            if (string.IsNullOrWhiteSpace(pattern) || string.IsNullOrWhiteSpace(target))
            {
                continue;
            }

            if (pattern == "*")
            {
                _any = target;
            }
            else if (ModelGlob.IsGlob(pattern))
            {
                _globs = [.. _globs, (pattern, target)];
            }
            else
            {
                (_exact ??= new(StringComparer.Ordinal))[pattern] = target;
            }
        }

        // The most specific glob wins: "openai/gpt-4o*" before "openai/*".
        Array.Sort(_globs, static (a, b) => b.Pattern.Length.CompareTo(a.Pattern.Length));
    }

    public static ModelMapper To(string target) => new(target);

    public static ModelMapper From(IReadOnlyDictionary<string, string>? map) => new(map ?? new Dictionary<string, string>());

    public string? Map(string? model)
    {
        if (model is null)
        {
            return _any;
        }

        if (_exact is not null && _exact.TryGetValue(model, out var exact))
        {
            return exact;
        }

        foreach (var (pattern, target) in _globs)
        {
            if (ModelGlob.Matches(pattern, model))
            {
                return target;
            }
        }

        return _any;
    }
}
