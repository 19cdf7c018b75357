namespace LlmMeter.Policy.Internal;

/// <summary>A <see cref="PolicyScope"/> prepared for matching on the hot path (no allocation).</summary>
internal sealed class ScopeMatcher
{
    private readonly string? _app;
    private readonly string? _team;
    private readonly string? _tagKey;
    private readonly string? _tagValue;
    private readonly string? _model;
    private readonly bool _modelIsGlob;
    private readonly string? _provider;

    public ScopeMatcher(PolicyScope? scope)
    {
        _app = Blank(scope?.App);
        _team = Blank(scope?.Team);
        _model = Blank(scope?.Model);
        _modelIsGlob = _model is not null && ModelGlob.IsGlob(_model);
        _provider = Blank(scope?.Provider);
        if (Blank(scope?.Tag) is { } tag)
        {
            var eq = tag.IndexOf('=', StringComparison.Ordinal);
            _tagKey = eq > 0 ? tag[..eq] : tag;
            _tagValue = eq > 0 ? tag[(eq + 1)..] : null;
        }
    }

    /// <param name="app">The handler's app.</param>
    /// <param name="team">The call's <c>team</c> tag, looked up once per call by the caller (null when absent).</param>
    /// <param name="tags">The call's tags.</param>
    /// <param name="model">Before a call the requested model; for accounting the served model.</param>
    /// <param name="provider">Before a call the preferred provider, if any; for accounting the serving provider.</param>
    /// <param name="unknownProviderMatches">Whether a provider scope matches when the provider is not known.</param>
    public bool Matches(string app, string? team, IReadOnlyDictionary<string, string> tags, string? model, string? provider, bool unknownProviderMatches)
    {
        if (_app is not null && !string.Equals(_app, app, StringComparison.Ordinal))
        {
            return false;
        }

        if (_model is not null && !MatchesModel(model))
        {
            return false;
        }

        if (_team is not null && !string.Equals(team, _team, StringComparison.Ordinal))
        {
            return false;
        }

        if (_tagKey is not null && !(tags.TryGetValue(_tagKey, out var value) && (_tagValue is null || string.Equals(value, _tagValue, StringComparison.Ordinal))))
        {
            return false;
        }

        if (_provider is not null)
        {
            return provider is null ? unknownProviderMatches : string.Equals(provider, _provider, StringComparison.OrdinalIgnoreCase);
        }

        return true;
    }

    private bool MatchesModel(string? model) =>
        model is not null && (_modelIsGlob ? ModelGlob.Matches(_model, model) : string.Equals(_model, model, StringComparison.Ordinal));

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
