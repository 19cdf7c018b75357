using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>
/// The models named by <c>openrouter_metadata.attempts[]</c> (<c>{provider, model, status}</c>), so that a provider
/// failover (one model tried at several providers) is not taken for a model fallback. Only distinct names are kept,
/// at most <see cref="MaxNames"/>, each at most <see cref="MaxNameBytes"/> as written: the attempts beyond are only
/// counted. When an attempt names no model, or a name is not kept, the names are <see cref="Incomplete"/>.
/// </summary>
internal sealed class RoutingAttemptModels
{
    /// <summary>The most distinct model names kept from one attempts list.</summary>
    public const int MaxNames = 16;

    /// <summary>A longer value is no model id: not kept.</summary>
    public const int MaxNameBytes = 256;

    private readonly string[] _names = new string[MaxNames];
    private int _count;
    private bool _named;

    /// <summary>The distinct names read so far, in their first attempt's order.</summary>
    public ReadOnlySpan<string> Names => _names.AsSpan(0, _count);

    /// <summary>An attempt named no model, or one more than could be kept: the names are not every attempt's.</summary>
    public bool Incomplete { get; private set; }

    /// <summary>Every attempt read named a model, and every name is kept.</summary>
    public bool Known => _count > 0 && !Incomplete;

    /// <summary>A new attempts list replaces an earlier one (the metadata repeated).</summary>
    public void Clear()
    {
        Array.Clear(_names, 0, _count);
        _count = 0;
        Incomplete = false;
    }

    public void BeginAttempt() => _named = false;

    public void EndAttempt() => Incomplete |= !_named;

    /// <summary>The attempt's <c>model</c> string (<paramref name="skipped"/> when it was too long to keep: not a name).</summary>
    public void Add(ref Utf8JsonReader reader, bool skipped)
    {
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (skipped || length is 0 or > MaxNameBytes)
        {
            return;
        }

        // Attempts of one model repeat its name: compared in place, allocated once.
        for (var i = 0; i < _count; i++)
        {
            if (reader.ValueTextEquals(_names[i]))
            {
                _named = true;
                return;
            }
        }

        if (_count == MaxNames)
        {
            return;
        }

        _names[_count++] = reader.GetString()!;
        _named = true;
    }
}
