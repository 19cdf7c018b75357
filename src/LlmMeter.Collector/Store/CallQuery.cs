namespace LlmMeter.Collector.Store;

/// <summary>
/// <c>GET /v1/calls</c> and the CSV export: [From, To) on started_at, exact filters, newest first.
/// <see cref="Cursor"/> is the opaque keyset position returned by the previous page.
/// </summary>
internal sealed record CallQuery
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Matches the model that served, else the requested one (as spend groups it).</summary>
    public string? Model { get; init; }

    public string? Team { get; init; }

    public string? App { get; init; }

    public string? Provider { get; init; }

    public LlmCallOutcome? Outcome { get; init; }

    /// <summary>Page size (1 to 1,000); ignored by the streamed export.</summary>
    public int Limit { get; init; } = 100;

    public CallCursor? Cursor { get; init; }
}

/// <summary>A keyset position: the last row of a page, (started_at ms, id), newest first.</summary>
internal sealed record CallCursor(long StartedAtMs, string Id)
{
    public string Encode() =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{StartedAtMs}|{Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? text, out CallCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        try
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var bar = decoded.IndexOf('|', StringComparison.Ordinal);
            if (bar <= 0 || !long.TryParse(decoded.AsSpan(0, bar), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var ms))
            {
                return false;
            }

            cursor = new CallCursor(ms, decoded[(bar + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>A page of records and the cursor of the next page (null on the last).</summary>
internal sealed record CallPage(IReadOnlyList<LlmCallRecord> Calls, string? NextCursor);
