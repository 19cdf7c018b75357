namespace LlmMeter.Collector.Budgets;

/// <summary>How often a budget resets.</summary>
internal enum BudgetPeriodKind
{
    Day,

    /// <summary>Calendar weeks starting Monday.</summary>
    Week,
    Month,
}

/// <summary>
/// Calendar-aligned budget periods in an IANA time zone: a day is local midnight to local midnight, so across a
/// DST change it lasts 23 or 25 hours; weeks start on Monday; months on the 1st.
/// </summary>
internal static class BudgetPeriod
{
    /// <summary>The period containing <paramref name="instant"/>, as UTC instants [Start, End).</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Containing(DateTimeOffset instant, BudgetPeriodKind kind, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
        var startLocal = kind switch
        {
            BudgetPeriodKind.Day => local.Date,
            BudgetPeriodKind.Week => local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)),
            _ => new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified),
        };
        var endLocal = kind switch
        {
            BudgetPeriodKind.Day => startLocal.AddDays(1),
            BudgetPeriodKind.Week => startLocal.AddDays(7),
            _ => startLocal.AddMonths(1),
        };
        return (ToUtc(startLocal, zone), ToUtc(endLocal, zone));
    }

    /// <summary>Finds an IANA zone (e.g. <c>Europe/Berlin</c>); false when unknown.</summary>
    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || id is "UTC" or "Etc/UTC")
        {
            return string.IsNullOrWhiteSpace(id) || id is "UTC" or "Etc/UTC";
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    // Local midnight may not exist (a DST jump at 00:00, e.g. America/Santiago) or exist twice: take the first
    // instant at or after it, so periods never overlap and never leave a gap.
    private static DateTimeOffset ToUtc(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(unspecified)
            ? zone.GetAmbiguousTimeOffsets(unspecified).Max()
            : zone.GetUtcOffset(unspecified);
        return new DateTimeOffset(unspecified, offset).ToUniversalTime();
    }
}
