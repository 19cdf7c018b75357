namespace LlmMeter.Tests.Record;

/// <summary>Every transcript read in random splits gives the record of the whole read.</summary>
public sealed class TranscriptSplitTests
{
    public static TheoryData<Transcript> All() => [.. Transcripts.All];

    [Theory]
    [MemberData(nameof(All))]
    public async Task Read_RandomSplits_YieldTheSameRecord(Transcript transcript)
    {
        using var replay = new TranscriptReplay(transcript, Pricing.CatalogSamples.Parse(
            transcript.Name.Contains("long-context", StringComparison.Ordinal) ? Pricing.CatalogSamples.Dump2026 : Pricing.CatalogSamples.Dump2025));
        var length = replay.BodyBytes.Length;
        var reference = TranscriptReplay.Normalize(await replay.ReadAsync());
        var random = new Random(transcript.Name.Length * 7919); // Fixed seed per transcript: a failure replays.

        for (var run = 0; run < 24; run++)
        {
            var sizes = new List<int>();
            var maxPiece = run % 3 == 0 ? 3 : run % 3 == 1 ? 40 : length;
            for (var left = length; left > 0;)
            {
                var size = Math.Min(left, random.Next(1, maxPiece + 1));
                sizes.Add(size);
                left -= size;
            }

            var record = TranscriptReplay.Normalize(await replay.ReadAsync([.. sizes]));
            Assert.True(reference == record, $"splits [{string.Join(',', sizes)}] gave {record}, whole gave {reference}");
        }
    }
}
