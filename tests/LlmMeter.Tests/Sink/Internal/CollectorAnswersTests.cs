using System.Text;
using LlmMeter.Sink.Internal;

namespace LlmMeter.Tests.Sink.Internal;

public sealed class CollectorAnswersTests
{
    [Fact]
    public void Rejected_ContractAnswer_ListsEachInRangeIndexOnceWithItsField()
    {
        var body = """
            {"accepted": 3, "duplicates": 1, "rejected": [
              {"index": 2, "id": "gen-abc", "field": "served_model", "message": "must be at most 256 characters."},
              {"index": 2, "id": "gen-abc", "field": "app", "message": "listed twice"},
              {"index": 9, "id": null, "field": null, "message": "beyond the request"},
              {"index": -1, "field": "app"},
              {"index": 0, "id": null, "field": null, "message": "not an object"}
            ]}
            """;

        var rejected = CollectorAnswers.Rejected(Encoding.UTF8.GetBytes(body), count: 5);

        Assert.Equal([new RejectedRecord(2, "served_model"), new RejectedRecord(0, null)], rejected);
    }

    [Theory]
    [InlineData("""{"accepted": 3, "duplicates": 0}""")]
    [InlineData("""{"accepted": 3, "duplicates": 0, "rejected": []}""")]
    [InlineData("""{"rejected": "none"}""")]
    [InlineData("stored")]
    [InlineData("")]
    public void Rejected_OlderOrUnreadableAnswer_RejectsNothing(string body)
    {
        Assert.Empty(CollectorAnswers.Rejected(Encoding.UTF8.GetBytes(body), count: 3));
    }

    [Fact]
    public void Problem_OlderCollectorRefusal_ReadsIndexAndField()
    {
        var body = """{"title": "Invalid records", "status": 400, "detail": "Record 1, field 'app': is empty.", "index": 1, "field": "app"}""";

        var problem = CollectorAnswers.Problem(Encoding.UTF8.GetBytes(body));

        Assert.Equal(new CollectorProblem("Invalid records", "Record 1, field 'app': is empty.", 1, "app"), problem);
    }

    [Theory]
    [InlineData("""{"title": "Invalid records", "index": "1"}""")]
    [InlineData("""{"title": "Invalid records", "index": 1.5}""")]
    [InlineData("""{"title": "Invalid records"}""")]
    public void Problem_IndexMissingOrNotAnInteger_HasNoIndex(string body)
    {
        Assert.Null(CollectorAnswers.Problem(Encoding.UTF8.GetBytes(body))!.Index);
    }

    [Fact]
    public void Problem_LongDetail_ShortenedForTheLog()
    {
        var body = $$"""{"detail": "{{new string('x', 1_000)}}"}""";

        Assert.Equal(303, CollectorAnswers.Problem(Encoding.UTF8.GetBytes(body))!.Detail!.Length);
    }
}
