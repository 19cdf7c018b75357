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
    /// <summary>
    /// The period containing <paramref name="instant"/>, as UTC instants [Start, End). Never throws: a period cut by
    /// the edge of the calendar (it would begin before 0001-01-01 or end after 9999-12-31, locally or in UTC) starts
    /// at <see cref="DateTimeOffset.MinValue"/> or ends at <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Containing(DateTimeOffset instant, BudgetPeriodKind kind, TimeZoneInfo zone)
    {
        // ConvertTime clamps at the edges itself (0001-01-01T05:00Z in a zone 12 hours behind stays 0001-01-01).
        var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
        var startLocal = kind switch
        {
            BudgetPeriodKind.Day => local.Date,
            BudgetPeriodKind.Week => AddDays(local.Date, -(((int)local.DayOfWeek + 6) % 7)) ?? DateTime.MinValue,
            _ => new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified),
        };
        DateTime? endLocal = kind switch
        {
            BudgetPeriodKind.Day => AddDays(startLocal, 1),
            BudgetPeriodKind.Week => AddDays(startLocal, 7),
            _ => startLocal.Year == DateTime.MaxValue.Year && startLocal.Month == 12 ? null : startLocal.AddMonths(1),
        };
        var start = ToUtc(startLocal, zone);
        var end = endLocal is { } e ? ToUtc(e, zone) : DateTimeOffset.MaxValue;
        // Clamping can leave the instant outside: the period then runs from or to the calendar's edge.
        return (start <= instant ? start : DateTimeOffset.MinValue, end > instant ? end : DateTimeOffset.MaxValue);
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
    // instant at or after it, so periods never overlap and never leave a gap. Out of range in UTC: clamped.
    private static DateTimeOffset ToUtc(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified) && unspecified < DateTime.MaxValue.AddMinutes(-1))
        {
            unspecified = unspecified.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(unspecified)
            ? zone.GetAmbiguousTimeOffsets(unspecified).Max()
            : zone.GetUtcOffset(unspecified);
        var utcTicks = unspecified.Ticks - offset.Ticks;
        return utcTicks < DateTimeOffset.MinValue.UtcTicks ? DateTimeOffset.MinValue
            : utcTicks > DateTimeOffset.MaxValue.UtcTicks ? DateTimeOffset.MaxValue
            : new DateTimeOffset(utcTicks, TimeSpan.Zero);
    }

    // DateTime.AddDays throws before year 1 and after 9999: null there instead.
    private static DateTime? AddDays(DateTime date, int days)
    {
        var ticks = date.Ticks + (days * TimeSpan.TicksPerDay);
        return ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks ? null : date.AddDays(days);
    }
}
