namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>Reads a stored record back. Records are stored as they arrived, so what ingest normalised is normalised again here.</summary>
internal static class StoredJson
{
    public static LlmCallRecord Read(string json, string id)
    {
        var record = LlmMeterJson.Deserialize(json) ?? throw new InvalidOperationException($"Stored record '{id}' is not valid JSON.");
        return record.Tags is null ? record with { Tags = LlmMeterContext.EmptyTags } : record;
    }
}
