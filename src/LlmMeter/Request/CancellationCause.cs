using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace LlmMeter.Request;

/// <summary>
/// Tells <c>HttpClient.Timeout</c> from the caller's own cancellation, as seen from inside the handler. HttpClient
/// hands its handlers a token linked to the caller's token (and its own <c>CancelPendingRequests</c> source)
/// that it cancels after <c>Timeout</c>; it calls a cancellation a timeout when that linked token is cancelled
/// and neither of its sources is. This applies the same rule. The linked sources are not public, so they are
/// read by reflection; when they cannot be (another runtime's layout, trimmed metadata), the cause is unknown
/// and the call is recorded as aborted, as before.
/// </summary>
internal static class CancellationCause
{
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_links = new();

    /// <summary>True when <paramref name="token"/> was cancelled by its own timer, not by a token it is linked to.</summary>
    public static bool IsLinkedTimeout(CancellationToken token)
    {
        if (!token.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            var source = SourceOf(ref token);
            if (source is null)
            {
                return false;
            }

            var links = s_links.GetOrAdd(source.GetType(), LinkFields);
            if (links.Length == 0)
            {
                return false; // Not a linked source: who cancelled it cannot be told.
            }

            foreach (var field in links)
            {
                switch (field.GetValue(source))
                {
                    case CancellationTokenRegistration registration when registration.Token.IsCancellationRequested:
                        return false;
                    case CancellationTokenRegistration[] registrations when registrations.Any(static r => r.Token.IsCancellationRequested):
                        return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is MemberAccessException or FieldAccessException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_source")]
    private static extern ref CancellationTokenSource? SourceOf(ref CancellationToken token);

    // The linked sources' registrations with the tokens they link (CancellationTokenSource's private subclasses).
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Best effort: without the fields the cause is unknown and the call is recorded aborted.")]
    private static FieldInfo[] LinkFields(Type type) =>
        type == typeof(CancellationTokenSource) || type.DeclaringType != typeof(CancellationTokenSource)
            ? []
            : [.. type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(static f => f.FieldType == typeof(CancellationTokenRegistration) || f.FieldType == typeof(CancellationTokenRegistration[]))];
}
