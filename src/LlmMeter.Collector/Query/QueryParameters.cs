using System.Globalization;
using System.Text.Json;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LlmMeter.Collector.Query;

/// <summary>Reads the query-string parameters of the read endpoints; each failure is a 400 naming the parameter.</summary>
internal static class QueryParameters
{
    public static readonly TimeSpan DefaultSpendRange = TimeSpan.FromDays(30);

    private static readonly Dictionary<string, SpendDimension> s_dimensions = Enum.GetValues<SpendDimension>()
        .ToDictionary(d => d.ToString().ToLowerInvariant(), StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, LlmCallOutcome> s_outcomes = Enum.GetValues<LlmCallOutcome>()
        .ToDictionary(o => JsonNamingPolicy.SnakeCaseLower.ConvertName(o.ToString()), StringComparer.OrdinalIgnoreCase);

    /// <summary><c>GET /v1/spend</c>: to defaults to now, from to 30 days before to (at the earliest 0001-01-01).</summary>
    public static bool TryParseSpend(IQueryCollection query, DateTimeOffset now, out SpendQuery spend, out ProblemHttpResult? problem)
    {
        spend = null!;
        if (!TryRange(query, out var from, out var to, out problem)
            || !TryGroupBy(query, out var groupBy, out problem)
            || !TryFilters(query, out var filters, out problem))
        {
            return false;
        }

        to ??= now;
        // Near 0001-01-01 the default range is cut at the calendar's start rather than overflowing.
        from ??= to.Value.UtcTicks - DateTimeOffset.MinValue.UtcTicks < DefaultSpendRange.Ticks ? DateTimeOffset.MinValue : to.Value - DefaultSpendRange;
        if (from >= to)
        {
            problem = ApiProblems.BadParameter("from", $"'from' ({Wire.Time(from.Value)}) must be before 'to' ({Wire.Time(to.Value)}).");
            return false;
        }

        spend = new SpendQuery
        {
            From = from.Value,
            To = to.Value,
            GroupBy = groupBy,
            Model = filters.Model,
            Team = filters.Team,
            App = filters.App,
            Provider = filters.Provider,
        };
        return true;
    }

    /// <summary><c>GET /v1/calls</c> and the CSV export: every parameter optional.</summary>
    public static bool TryParseCalls(IQueryCollection query, out CallQuery calls, out ProblemHttpResult? problem)
    {
        calls = null!;
        if (!TryRange(query, out var from, out var to, out problem) || !TryFilters(query, out var filters, out problem))
        {
            return false;
        }

        if (from >= to)
        {
            problem = ApiProblems.BadParameter("from", $"'from' ({Wire.Time(from!.Value)}) must be before 'to' ({Wire.Time(to!.Value)}).");
            return false;
        }

        LlmCallOutcome? outcome = null;
        if (Single(query, "outcome", out var outcomeText, out problem) is false)
        {
            return false;
        }

        if (outcomeText is not null)
        {
            if (!s_outcomes.TryGetValue(outcomeText, out var parsed))
            {
                problem = ApiProblems.BadParameter("outcome", $"Unknown outcome '{outcomeText}'; use one of: {string.Join(", ", s_outcomes.Keys)}.");
                return false;
            }

            outcome = parsed;
        }

        var limit = 100;
        if (Single(query, "limit", out var limitText, out problem) is false)
        {
            return false;
        }

        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            problem = ApiProblems.BadParameter("limit", $"'limit' must be a whole number from 1 to 1000 (got '{limitText}').");
            return false;
        }

        CallCursor? cursor = null;
        if (Single(query, "cursor", out var cursorText, out problem) is false)
        {
            return false;
        }

        if (cursorText is not null && !CallCursor.TryDecode(cursorText, out cursor))
        {
            problem = ApiProblems.BadParameter("cursor", "'cursor' is not a cursor returned by this API: pass next_cursor unchanged.");
            return false;
        }

        calls = new CallQuery
        {
            From = from,
            To = to,
            Model = filters.Model,
            Team = filters.Team,
            App = filters.App,
            Provider = filters.Provider,
            Outcome = outcome,
            Limit = limit,
            Cursor = cursor,
        };
        return true;
    }

    /// <summary>The canonical names of the dimensions, as echoed in the spend response.</summary>
    public static string NameOf(SpendDimension dimension) => dimension.ToString().ToLowerInvariant();

    private static bool TryRange(IQueryCollection query, out DateTimeOffset? from, out DateTimeOffset? to, out ProblemHttpResult? problem)
    {
        to = null;
        return TryTime(query, "from", out from, out problem) && TryTime(query, "to", out to, out problem);
    }

    /// <summary>ISO 8601: a date alone is midnight UTC, a time without offset is UTC.</summary>
    private static bool TryTime(IQueryCollection query, string name, out DateTimeOffset? value, out ProblemHttpResult? problem)
    {
        value = null;
        if (Single(query, name, out var text, out problem) is false || text is null)
        {
            return problem is null;
        }

        // An unescaped '+' of an offset arrives as a space: put it back.
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (t > 0)
        {
            text = text[..t] + text[t..].Replace(' ', '+');
        }

        const DateTimeStyles Styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var isIsoShape = text.Length >= 10 && text[4] == '-' && text[7] == '-' && (text.Length == 10 || text[10] is 'T' or 't');
        if (isIsoShape && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Styles, out var parsed))
        {
            value = parsed.ToUniversalTime();
            return true;
        }

        problem = ApiProblems.BadParameter(name, $"'{name}' must be an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T12:00:00Z (got '{text}').");
        return false;
    }

    private static bool TryGroupBy(IQueryCollection query, out List<SpendDimension> groupBy, out ProblemHttpResult? problem)
    {
        groupBy = [];
        problem = null;
        foreach (var value in query["group_by"])
        {
            foreach (var name in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!s_dimensions.TryGetValue(name, out var dimension))
                {
                    problem = ApiProblems.BadParameter("group_by", $"Unknown group_by value '{name}'; use any of: model, team, app, provider, day, hour.");
                    return false;
                }

                if (!groupBy.Contains(dimension))
                {
                    groupBy.Add(dimension);
                }
            }
        }

        return true;
    }

    private readonly record struct Filters(string? Model, string? Team, string? App, string? Provider);

    private static bool TryFilters(IQueryCollection query, out Filters filters, out ProblemHttpResult? problem)
    {
        filters = default;
        if (Single(query, "model", out var model, out problem) is false
            || Single(query, "team", out var team, out problem) is false
            || Single(query, "app", out var app, out problem) is false
            || Single(query, "provider", out var provider, out problem) is false)
        {
            return false;
        }

        filters = new Filters(model, team, app, provider);
        return true;
    }

    /// <summary>A parameter given at most once; an empty value counts as absent.</summary>
    private static bool Single(IQueryCollection query, string name, out string? value, out ProblemHttpResult? problem)
    {
        value = null;
        problem = null;
        var values = query[name];
        if (values.Count > 1)
        {
            problem = ApiProblems.BadParameter(name, $"'{name}' is given more than once.");
            return false;
        }

        value = string.IsNullOrEmpty(values.ToString()) ? null : values.ToString();
        return true;
    }
}

/// <summary>Wire formats shared by the JSON and CSV responses.</summary>
internal static class Wire
{
    /// <summary>ISO 8601 UTC with milliseconds, as in the record wire format.</summary>
    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The enum's snake_case wire name (<c>http_error</c>), computed once per value.</summary>
    public static string SnakeCase<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        EnumNames<TEnum>.Names.TryGetValue(value, out var name) ? name : JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static class EnumNames<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> Names = Enum.GetValues<TEnum>()
            .ToDictionary(v => v, v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));
    }
}
