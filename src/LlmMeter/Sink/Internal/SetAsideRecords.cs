namespace LlmMeter.Sink.Internal;

/// <summary>
/// The records set aside, in the order they were set aside. Touched by the sender's loop only, except
/// <see cref="Count"/>, which <see cref="LlmMeterCollectorSink.Record"/> reads to keep them within the buffer's bound.
/// </summary>
internal sealed class SetAsideRecords(TimeProvider time)
{
    private readonly List<SetAsideRecord> _entries = [];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add(SetAsideRecord entry)
    {
        _entries.Add(entry);
        Volatile.Write(ref _count, _entries.Count);
    }

    /// <summary>Takes the first record whose wait is over, if any; it is put back with <see cref="Add"/> if it fails again.</summary>
    public bool TryTakeDue(out SetAsideRecord entry)
    {
        var now = time.GetTimestamp();
        for (var i = 0; i < _entries.Count; i++)
        {
            if (time.GetElapsedTime(_entries[i].LastAttemptAt, now) >= _entries[i].Wait)
            {
                entry = _entries[i];
                _entries.RemoveAt(i);
                Volatile.Write(ref _count, _entries.Count);
                return true;
            }
        }

        entry = null!;
        return false;
    }

    /// <summary>How long until the next record is due (zero when one is); null when none is set aside.</summary>
    public TimeSpan? UntilNextDue()
    {
        if (_entries.Count == 0)
        {
            return null;
        }

        var now = time.GetTimestamp();
        var next = TimeSpan.MaxValue;
        foreach (var entry in _entries)
        {
            var left = entry.Wait - time.GetElapsedTime(entry.LastAttemptAt, now);
            next = left < next ? left : next;
        }

        return next < TimeSpan.Zero ? TimeSpan.Zero : next;
    }

    /// <summary>Takes every record, due or not (at shutdown).</summary>
    public List<SetAsideRecord> TakeAll()
    {
        var all = new List<SetAsideRecord>(_entries);
        _entries.Clear();
        Volatile.Write(ref _count, 0);
        return all;
    }
}
