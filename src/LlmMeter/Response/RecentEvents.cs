using System.Buffers;

namespace LlmMeter.Response;

/// <summary>
/// The last few stream events, kept as bytes and parsed only when the stream ends: the finish reason and a
/// mid-stream error arrive in the final events, so the deltas before them need no JSON parse.
/// </summary>
internal sealed class RecentEvents : IDisposable
{
    private const int Capacity = 4;

    private readonly byte[][] _slots = new byte[Capacity][];
    private readonly int[] _lengths = new int[Capacity];
    private int _next;
    private int _count;

    public void Remember(ReadOnlySpan<byte> data)
    {
        var slot = _slots[_next];
        if (slot is null || slot.Length < data.Length)
        {
            if (slot is not null)
            {
                ArrayPool<byte>.Shared.Return(slot);
            }

            slot = _slots[_next] = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 512));
        }

        data.CopyTo(slot);
        _lengths[_next] = data.Length;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }

    public int Count => _count;

    /// <summary>The <paramref name="index"/>-th kept event, oldest first.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var slot = (_next - _count + index + Capacity) % Capacity;
            return _slots[slot].AsSpan(0, _lengths[slot]);
        }
    }

    public void Clear() => _count = 0;

    public void Dispose()
    {
        for (var i = 0; i < Capacity; i++)
        {
            if (_slots[i] is { } slot)
            {
                ArrayPool<byte>.Shared.Return(slot);
                _slots[i] = null!;
            }
        }
    }
}
