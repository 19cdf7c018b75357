using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace LlmMeter.Collector.Status;

/// <summary>HTML building blocks of the status page: every text goes through <see cref="Text"/> (record fields are user data).</summary>
internal static class StatusHtml
{
    public const string Dash = "\u2014";

    /// <summary>Inline, so the page works offline and under a CSP that loads nothing.</summary>
    public const string Css = """
        :root{color-scheme:light dark;--fg:#1d2330;--muted:#5f6b7a;--bg:#f6f7f9;--card:#fff;--line:#e2e5ea;--ok:#2f9e44;--warn:#e8a317;--bad:#d6336c;--info:#1c7ed6}
        @media (prefers-color-scheme:dark){:root{--fg:#e6e9ee;--muted:#9aa5b4;--bg:#14171c;--card:#1d2129;--line:#2e3440}}
        *{box-sizing:border-box}body{margin:0;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        h1{font-size:22px;margin:0}h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px;color:var(--muted)}
        header{display:flex;flex-wrap:wrap;align-items:baseline;gap:12px;margin-bottom:14px}
        section,nav{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:16px;overflow-x:auto}
        nav a{margin-right:14px}a{color:var(--info)}
        .muted{color:var(--muted)}.small{font-size:12px}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
        .banner{background:#fff3bf;color:#5c4400;border:1px solid #f0c000;border-radius:8px;padding:10px 14px;margin-bottom:16px}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-weight:600;color:var(--muted);font-size:12px}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.badge,.bar,.nw{white-space:nowrap}
        .total td{font-weight:600}
        .bar{width:140px;height:10px;background:var(--line);border-radius:5px;overflow:hidden;display:inline-block;vertical-align:middle;margin-right:8px}
        .bar span{display:block;height:100%;background:var(--ok)}.bar span.warn{background:var(--warn)}.bar span.bad{background:var(--bad)}
        .badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;background:var(--line)}
        .badge.ok{background:#d3f9d8;color:#1b5e20}.badge.warn{background:#fff3bf;color:#6b4f00}.badge.bad{background:#ffdeeb;color:#8a1140}.badge.info{background:#d0ebff;color:#0b4f8a}
        .changed{color:var(--warn);font-weight:600}
        """;

    /// <summary>HTML-encoded text; null or empty becomes a dash.</summary>
    public static string Text(string? value) => string.IsNullOrEmpty(value) ? Dash : HtmlEncoder.Default.Encode(value);

    /// <summary>A model id in monospace that may wrap after its slash (long ids would widen the tables).</summary>
    public static string Model(string? id, string extraClass = "") =>
        $"<span class=\"mono{(extraClass.Length == 0 ? string.Empty : " " + extraClass)}\">{Text(id).Replace("/", "/<wbr>", StringComparison.Ordinal)}</span>";

    public static string Money(decimal? usd) => usd switch
    {
        null => Dash,
        >= 1m or <= -1m => "$" + usd.Value.ToString("#,##0.00", CultureInfo.InvariantCulture),
        >= 0.01m or <= -0.01m => "$" + usd.Value.ToString("0.0000", CultureInfo.InvariantCulture),
        _ => "$" + usd.Value.ToString("0.######", CultureInfo.InvariantCulture),
    };

    /// <summary>A count or sum; Int128 so token totals beyond 64 bits print exactly too.</summary>
    public static string Count(Int128? value) => value is { } v ? v.ToString("#,##0", CultureInfo.InvariantCulture) : Dash;

    /// <summary>An exact sum of token totals (Enumerable.Sum has no Int128 overload).</summary>
    public static Int128 Sum<T>(IEnumerable<T> items, Func<T, Int128> value) => items.Aggregate(Int128.Zero, (sum, item) => sum + value(item));

    public static string Ms(double? value) => value is { } v ? v.ToString("#,##0", CultureInfo.InvariantCulture) + " ms" : Dash;

    public static string Percent(double value) => value.ToString("0.#", CultureInfo.InvariantCulture) + " %";

    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Clock(DateTimeOffset value) => value.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A badge: <paramref name="kind"/> is ok, warn, bad, info or empty.</summary>
    public static string Badge(string text, string kind) => $"<span class=\"badge {kind}\">{Text(text)}</span>";

    /// <summary>
    /// Marks a cell or header as numeric (right-aligned). The marker is a control character, which encoded text can
    /// never start with (the encoder escapes it), so user data cannot pass for it.
    /// </summary>
    public static string Num(string html) => NumericMarker + html;

    private const char NumericMarker = '\u0001';

    /// <summary>A table with the given header cells (<see cref="Num"/> right-aligns) and pre-rendered rows.</summary>
    public static void Table(StringBuilder html, string id, IEnumerable<string> headers, IEnumerable<string> rows, string empty)
    {
        var body = string.Concat(rows);
        if (body.Length == 0)
        {
            html.Append("<p class=\"muted\">").Append(Text(empty)).Append("</p>");
            return;
        }

        html.Append("<table id=\"").Append(id).Append("\"><thead><tr>");
        foreach (var header in headers)
        {
            var numeric = header.Length > 0 && header[0] == NumericMarker;
            html.Append(numeric ? "<th class=\"num\">" : "<th>").Append(Text(numeric ? header[1..] : header)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>").Append(body).Append("</tbody></table>");
    }

    /// <summary>A table row of pre-rendered cells (<see cref="Num"/> right-aligns).</summary>
    public static string Row(params string[] cells)
    {
        var row = new StringBuilder("<tr>");
        foreach (var cell in cells)
        {
            var numeric = cell.Length > 0 && cell[0] == NumericMarker;
            row.Append(numeric ? "<td class=\"num\">" : "<td>").Append(numeric ? cell[1..] : cell).Append("</td>");
        }

        return row.Append("</tr>").ToString();
    }
}
