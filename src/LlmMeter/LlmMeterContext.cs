using System.Collections.ObjectModel;

namespace LlmMeter;

/// <summary>
/// Ambient tags for calls made where the request cannot be touched (OpenAI SDK, Microsoft.Extensions.AI).
/// Scopes flow through async code and nest; an inner scope's tag wins over an outer one's.
/// </summary>
/// <example>
/// <code>
/// using (LlmMeterContext.BeginScope(new Dictionary&lt;string, string&gt; { ["team"] = "search" }))
/// {
///     await chatClient.CompleteChatAsync(messages);
/// }
/// </code>
/// </example>
public static class LlmMeterContext
{
    private static readonly AsyncLocal<Scope?> s_current = new();

    /// <summary>An empty, shared tag map.</summary>
    public static IReadOnlyDictionary<string, string> EmptyTags { get; } =
        new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(0));

    /// <summary>The tags in force here (outer scopes merged), empty when there is no scope.</summary>
    public static IReadOnlyDictionary<string, string> CurrentTags => s_current.Value?.Tags ?? EmptyTags;

    /// <summary>Starts a scope; dispose it to restore the previous tags.</summary>
    /// <exception cref="ArgumentException">A key is empty, a key or value is longer than 128 characters or has a control character.</exception>
    public static IDisposable BeginScope(IReadOnlyDictionary<string, string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var parent = s_current.Value;
        var merged = parent is null
            ? new Dictionary<string, string>(tags.Count, StringComparer.Ordinal)
            : new Dictionary<string, string>(parent.Tags, StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            Internal.TagRules.ThrowIfInvalid(key, value);
            merged[key] = value;
        }

        var scope = new Scope(parent, new ReadOnlyDictionary<string, string>(merged));
        s_current.Value = scope;
        return scope;
    }

    private sealed class Scope(Scope? parent, IReadOnlyDictionary<string, string> tags) : IDisposable
    {
        private bool _disposed;

        public IReadOnlyDictionary<string, string> Tags { get; } = tags;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;

            // Only unwind when this scope is the current one; a scope disposed out of order must not
            // drop a newer scope that another flow still uses.
            if (ReferenceEquals(s_current.Value, this))
            {
                s_current.Value = parent;
            }
        }
    }
}
