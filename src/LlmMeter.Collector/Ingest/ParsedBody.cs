namespace LlmMeter.Collector.Ingest;

/// <summary>The records of a body that could be read, the ones refused, or why the whole body was refused.</summary>
internal sealed class ParsedBody
{
    public List<LlmCallRecord> Records { get; } = [];

    /// <summary>Each record's JSON text as received, same order: the store keeps it instead of serialising again.</summary>
    public List<string> WireJson { get; } = [];

    /// <summary>Each record's 0-based position in the request, same order.</summary>
    public List<int> Indexes { get; } = [];

    /// <summary>The records refused so far, in request order once <see cref="RejectInvalid"/> ran.</summary>
    public List<RejectedRecord> Rejected { get; } = [];

    /// <summary>The whole body is refused (400): nothing of it may be stored.</summary>
    public RecordError? Error { get; set; }

    /// <summary>More records than allowed; parsing stopped there.</summary>
    public bool TooMany { get; set; }

    /// <summary>How many records the refused body holds, when that can still be told (for the rejected counter).</summary>
    public int? KnownCount { get; set; }

    public void Add(LlmCallRecord record, string wireJson, int index)
    {
        Records.Add(record);
        WireJson.Add(wireJson);
        Indexes.Add(index);
    }

    /// <summary>
    /// Moves the records that fail <see cref="RecordValidator"/> to <see cref="Rejected"/>, keeping the others in
    /// order (compacted in place: nothing is copied while all are valid), then sorts the rejections by index.
    /// </summary>
    public void RejectInvalid(DateTimeOffset now)
    {
        var kept = 0;
        for (var i = 0; i < Records.Count; i++)
        {
            var record = Records[i];
            if (RecordValidator.Validate(record, now) is var (field, message))
            {
                // The id is checked first: any other failure means the id itself is valid.
                Rejected.Add(new RejectedRecord(Indexes[i], field == "id" ? null : record.Id, field, message));
                continue;
            }

            if (kept != i)
            {
                Records[kept] = record;
                WireJson[kept] = WireJson[i];
                Indexes[kept] = Indexes[i];
            }

            kept++;
        }

        if (kept < Records.Count)
        {
            Records.RemoveRange(kept, Records.Count - kept);
            WireJson.RemoveRange(kept, WireJson.Count - kept);
            Indexes.RemoveRange(kept, Indexes.Count - kept);
        }

        if (Rejected.Count > 1)
        {
            Rejected.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        }
    }
}
