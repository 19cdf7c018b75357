using Microsoft.Data.Sqlite;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// How the store keeps a sum that may outgrow 64 bits, exactly, in two INTEGER columns: <c>x</c> holds the low
/// <see cref="LowBits"/> bits of the value (0 ≤ x &lt; 2^62) and <c>x_high</c> the rest (floor(value / 2^62)).
/// <list type="bullet">
/// <item>Writing: two lows add below 2^63, so SQL adds them without overflowing (SQLite would silently turn an
/// overflowing integer <c>+</c> into REAL) and carries into <c>x_high</c>. <c>x_high</c> would only leave 64 bits past
/// 2^125, while a SQLite file holds fewer than 2^48 records of at most 2^63 each.</item>
/// <item>Reading: <c>SUM()</c> throws on a 64-bit overflow, so a query sums each low in two 31-bit halves and the highs
/// apart; that stays in 64 bits for up to 2^32 rows a group, and C# puts the three sums together as an <see cref="Int128"/>.</item>
/// </list>
/// Below 2^62 (any real figure) <c>x</c> reads as the plain value and <c>x_high</c> is 0.
/// </summary>
internal static class WideSum
{
    public const int LowBits = 62;

    public const long LowMask = (1L << LowBits) - 1;

    private const int HalfBits = 31;

    private const long HalfMask = (1L << HalfBits) - 1;

    /// <summary>The columns <see cref="SumSql"/> reads for one wide column.</summary>
    public const int SumColumns = 3;

    /// <summary>The name of the column holding the high part.</summary>
    public static string High(string column) => column + "_high";

    public static long Low(Int128 value) => (long)(value & LowMask);

    /// <summary>The high part; throws <see cref="OverflowException"/> beyond ±2^125 (unreachable, see the type).</summary>
    public static long HighOf(Int128 value) => checked((long)(value >> LowBits));

    public static Int128 Combine(long high, long low) => ((Int128)high << LowBits) + low;

    /// <summary>An UPDATE SET clause adding (<paramref name="low"/>, <paramref name="high"/>), two SQL expressions, to a wide column.</summary>
    public static string AddSql(string column, string low, string high)
    {
        var h = High(column);
        // SET expressions all read the old row, so the carry sees the old low.
        return $"{column} = ({column} + {low}) & {LowMask}, {h} = {h} + {high} + (({column} + {low}) >> {LowBits})";
    }

    /// <summary>Three SELECT expressions whose sums make the column's exact total (<see cref="ReadSum"/>).</summary>
    public static string SumSql(string column) =>
        $"COALESCE(SUM({column} >> {HalfBits}), 0), COALESCE(SUM({column} & {HalfMask}), 0), COALESCE(SUM({High(column)}), 0)";

    /// <summary>The exact total from the <see cref="SumColumns"/> columns of <see cref="SumSql"/> starting at <paramref name="ordinal"/>.</summary>
    public static Int128 ReadSum(SqliteDataReader reader, int ordinal) =>
        ((Int128)reader.GetInt64(ordinal + 2) << LowBits) + ((Int128)reader.GetInt64(ordinal) << HalfBits) + reader.GetInt64(ordinal + 1);
}
