using System.Net;
using LlmMeter.Collector.Tests.Infrastructure;

namespace LlmMeter.Collector.Tests.Api;

/// <summary>
/// Date parameters at the edges of the calendar: any ISO 8601 date from 0001-01-01 to 9999-12-31 works (the default
/// 30-day range is cut at 0001-01-01); a time that falls outside that range once its offset is applied is a 400
/// naming the parameter. Never a 5xx.
/// </summary>
public sealed class QueryCalendarEdgeTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    public static TheoryData<string> Accepted => new()
    {
        "v1/spend?to=0001-01-02",
        "v1/spend?to=0001-01-01T00:00:00.001Z",
        "v1/spend?from=0001-01-01&to=9999-12-31T23:59:59.999Z",
        "v1/spend?from=0001-01-01&to=9999-12-31&group_by=day,hour,model",
        "v1/spend?from=9999-12-30T00:00:00Z&to=9999-12-31T23:59:59.9999999Z&group_by=hour",
        "v1/calls?from=0001-01-01&to=9999-12-31",
        "v1/calls?to=0001-01-02",
        "v1/export.csv?from=0001-01-01&to=9999-12-31T23:59:59.999Z",
    };

    public static TheoryData<string, string> Refused => new()
    {
        // The offset takes each outside the calendar once applied.
        { "v1/spend?to=0001-01-01T00:00:00%2B01:00", "to" },
        { "v1/spend?from=9999-12-31T23:00:00-05:00", "from" },
        { "v1/calls?from=0001-01-01T00:30:00%2B14:00", "from" },
        { "v1/export.csv?to=9999-12-31T20:00:00-12:00", "to" },
        // And the ones that are not dates at all.
        { "v1/spend?to=10000-01-01", "to" },
        { "v1/spend?to=0000-12-31", "to" },
        { "v1/spend?from=0001-01-01&to=0001-01-01", "from" },
        { "v1/spend?from=9999-12-30", "from" }, // after the default 'to' (now)
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Get_DateAtTheCalendarEdge_Answers200(string url)
    {
        using var client = fixture.Host.Client(CollectorHost.ReadKey);

        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Get_DateOutsideTheCalendar_Returns400NamingTheParameter(string url, string parameter)
    {
        using var client = fixture.Host.Client(CollectorHost.ReadKey);

        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Spend_ToNearTheCalendarStart_DefaultRangeIsCutAtIt()
    {
        using var client = fixture.Host.Client(CollectorHost.ReadKey);

        var spend = await Api.GetJsonAsync(client, "v1/spend?to=0001-01-02");

        Assert.Equal("0001-01-01T00:00:00.000Z", spend.GetProperty("from").GetString());
        Assert.Equal("0001-01-02T00:00:00.000Z", spend.GetProperty("to").GetString());
    }
}
