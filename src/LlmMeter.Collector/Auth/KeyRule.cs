namespace LlmMeter.Collector.Auth;

/// <summary>
/// What makes a configured key or token usable, in one place: surrounding whitespace is not part of it (a bearer
/// token arrives trimmed), and what remains has at least <see cref="MinLength"/> characters. An empty value means
/// "not configured"; a whitespace-only one is a mistake (it could never match) and stops the collector at start.
/// </summary>
internal static class KeyRule
{
    public const int MinLength = 16;

    /// <summary>The key as it is compared, or null when the setting is absent or empty.</summary>
    public static string? Normalize(string? configured) => string.IsNullOrEmpty(configured) ? null : configured.Trim();

    /// <summary>Null when <paramref name="configured"/> is absent or usable; else the start-up error naming <paramref name="setting"/>.</summary>
    public static string? Check(string setting, string? configured) =>
        Normalize(configured) is { } key && key.Length < MinLength
            ? key.Length == 0
                ? $"{setting} is only whitespace: set a key of at least {MinLength} characters, or leave the setting out."
                : $"{setting} must be at least {MinLength} characters long (not counting surrounding whitespace)."
            : null;
}
