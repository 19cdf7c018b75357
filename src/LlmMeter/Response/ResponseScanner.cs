using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>
/// Picks the fields that matter out of an OpenRouter response, chunk or error body, token by token.
/// All state lives in this object, so a scan can stop at the end of a partial buffer and resume with
/// the next one (non-streaming bodies are scanned as the caller reads them).
/// </summary>
internal sealed partial class ResponseScanner : IResponseScanner
{
    private const int MaxTrackedDepth = 16;

    private readonly ResponseFacts _facts;
    private readonly Ctx[] _stack = new Ctx[MaxTrackedDepth];
    private int _depth;
    private Prop _prop;
    private int _choiceIndex;
    private long _skippedLength = -1;
    private bool _valueNext;

    public ResponseScanner(ResponseFacts facts) => _facts = facts;

    /// <summary>A string the meter needs whole was too long to keep (see <see cref="SkipNextString"/>).</summary>
    public bool LostValue { get; private set; }

    /// <summary>
    /// True when the next token is the value of a property the scanner recognises, other than content (which is
    /// only measured) and an attempt's model (a name that long is no model): a string there must be kept whole,
    /// however long, not skipped.
    /// </summary>
    public bool NeedsNextString => _valueNext && _prop != Prop.None && Top is not (Ctx.Skip or Ctx.MetaAttempt) && !(Top == Ctx.Delta && _prop == Prop.Content);

    /// <summary>Prepares for a new top-level value (each SSE event is one).</summary>
    public void Reset()
    {
        _depth = 0;
        _prop = Prop.None;
        _choiceIndex = 0;
        _skippedLength = -1;
        _valueNext = false;
    }

    /// <summary>
    /// The next string token stands for one of <paramref name="rawLength"/> bytes (as written) that was measured
    /// but not kept: a content length still counts; a name matches nothing; a value needed whole is lost.
    /// </summary>
    public void SkipNextString(long rawLength) => _skippedLength = rawLength;

    /// <summary>Consumes every complete token the reader has.</summary>
    public void Scan(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    _prop = Classify(Top, ref reader);
                    _skippedLength = -1;
                    break;
                case JsonTokenType.StartObject:
                    Push(_depth == 0 ? Ctx.Root : ChildObject(Top, _prop));
                    break;
                case JsonTokenType.StartArray:
                    Push(ChildArray(Top, _prop));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    if (Top == Ctx.MetaAttempt)
                    {
                        _facts.RoutingAttemptModels!.EndAttempt();
                    }

                    _depth--;
                    _prop = Prop.None;
                    break;
                case JsonTokenType.String:
                    OnString(ref reader);
                    _skippedLength = -1;
                    break;
                case JsonTokenType.Number:
                    OnNumber(ref reader);
                    break;
            }

            _valueNext = reader.TokenType == JsonTokenType.PropertyName;
        }
    }

    private Ctx Top => _depth == 0 ? Ctx.Skip : _depth <= MaxTrackedDepth ? _stack[_depth - 1] : Ctx.Skip;

    private void Push(Ctx ctx)
    {
        if (_depth < MaxTrackedDepth)
        {
            _stack[_depth] = ctx;
        }

        _depth++;
        _prop = Prop.None;
    }

    private Ctx ChildObject(Ctx parent, Prop prop)
    {
        switch (parent)
        {
            case Ctx.Root when prop == Prop.Usage:
                return Ctx.Usage;
            case Ctx.Root when prop == Prop.Error:
                _facts.HasError = true;
                return Ctx.Error;
            case Ctx.Root when prop == Prop.Meta:
                _facts.HasRoutingMetadata = true;
                return Ctx.Meta;
            case Ctx.Usage when prop == Prop.PromptDetails:
                return Ctx.PromptDetails;
            case Ctx.Usage when prop == Prop.CompletionDetails:
                return Ctx.CompletionDetails;
            case Ctx.Usage when prop == Prop.ServerToolUse:
                return Ctx.ServerToolUse;
            case Ctx.Choices:
                _choiceIndex++;
                return Ctx.Choice;
            case Ctx.Choice when prop == Prop.Delta:
                return Ctx.Delta;
            case Ctx.Error when prop == Prop.Metadata:
                return Ctx.ErrorMetadata;
            case Ctx.ToolCalls:
                _facts.SawToken = true;
                return Ctx.Skip;
            case Ctx.MetaAttempts:
                _facts.RoutingAttemptsCount++;
                _facts.RoutingAttemptModels!.BeginAttempt();
                return Ctx.MetaAttempt;
            default:
                return Ctx.Skip;
        }
    }

    private Ctx ChildArray(Ctx parent, Prop prop)
    {
        switch (parent)
        {
            case Ctx.Root when prop == Prop.Choices:
                _choiceIndex = -1;
                return Ctx.Choices;
            case Ctx.Delta when prop == Prop.ToolCalls:
                return Ctx.ToolCalls;
            case Ctx.Meta when prop == Prop.Attempts:
                _facts.RoutingAttemptsCount = 0;
                (_facts.RoutingAttemptModels ??= new()).Clear();
                return Ctx.MetaAttempts;
            default:
                return Ctx.Skip;
        }
    }

    private void OnString(ref Utf8JsonReader reader)
    {
        switch (Top)
        {
            case Ctx.Root when _prop == Prop.Id:
                SetOnce(ref _facts.Id, ref reader);
                break;
            case Ctx.Root when _prop == Prop.Model:
                SetOnce(ref _facts.Model, ref reader);
                break;
            case Ctx.Root when _prop == Prop.Provider:
                SetOnce(ref _facts.Provider, ref reader);
                break;
            case Ctx.Choice when _prop == Prop.FinishReason:
                if (_choiceIndex <= 0)
                {
                    SetOnce(ref _facts.FinishReason, ref reader);
                }

                break;
            case Ctx.Delta when _prop == Prop.Content:
                var length = _skippedLength >= 0 ? _skippedLength : reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (length > 0)
                {
                    _facts.ContentBytes += length;
                    _facts.SawToken = true;
                }

                break;
            case Ctx.Error when _prop == Prop.Code:
                SetOnce(ref _facts.ErrorCodeText, ref reader);
                if (_facts.ErrorCodeText is { } text && int.TryParse(text, out var parsed))
                {
                    _facts.ErrorCode = parsed;
                }

                break;
            case Ctx.Error when _prop == Prop.Message:
                // The message is not kept (it can quote the prompt); only whether it speaks of a limit. One that
                // was skipped unkept (SkipNextString) cannot be searched: the code and metadata after it still count.
                _facts.ErrorMentionsLimit |= _skippedLength < 0 && ContainsLimit(ref reader);
                break;
            case Ctx.ErrorMetadata when _prop == Prop.ErrorType:
                SetOnce(ref _facts.ErrorMetadataType, ref reader);
                break;
            case Ctx.ErrorMetadata when _prop == Prop.ProviderName:
                SetOnce(ref _facts.ErrorProvider, ref reader);
                break;
            case Ctx.ErrorMetadata when _prop == Prop.GenerationId:
                SetOnce(ref _facts.ErrorGenerationId, ref reader);
                break;
            case Ctx.Meta when _prop == Prop.Strategy:
                SetOnce(ref _facts.RoutingStrategy, ref reader);
                break;
            case Ctx.MetaAttempt when _prop == Prop.Model:
                _facts.RoutingAttemptModels!.Add(ref reader, skipped: _skippedLength >= 0);
                break;
        }
    }

    private void OnNumber(ref Utf8JsonReader reader)
    {
        switch (Top)
        {
            case Ctx.Usage:
                switch (_prop)
                {
                    case Prop.PromptTokens:
                        _facts.PromptTokens = ReadLong(ref reader);
                        break;
                    case Prop.CompletionTokens:
                        _facts.CompletionTokens = ReadLong(ref reader);
                        break;
                    case Prop.Cost:
                        _facts.Cost = reader.TryGetDecimal(out var cost) ? cost : (decimal)reader.GetDouble();
                        break;
                }

                break;
            case Ctx.PromptDetails when _prop == Prop.CachedTokens:
                _facts.CachedTokens = ReadLong(ref reader);
                break;
            case Ctx.PromptDetails when _prop == Prop.CacheWriteTokens:
                _facts.CacheWriteTokens = ReadLong(ref reader);
                break;
            case Ctx.CompletionDetails when _prop == Prop.ReasoningTokens:
                _facts.ReasoningTokens = ReadLong(ref reader);
                break;
            case Ctx.ServerToolUse when _prop == Prop.WebSearchRequests:
                _facts.WebSearchRequests = ReadLong(ref reader);
                break;
            case Ctx.Error when _prop == Prop.Code:
                _facts.ErrorCode = reader.TryGetInt32(out var code) ? code : null;
                break;
            case Ctx.Meta when _prop == Prop.Attempt:
                _facts.RoutingAttempt = reader.TryGetInt32(out var attempt) ? attempt : null;
                break;
        }
    }

    private static long? ReadLong(ref Utf8JsonReader reader) =>
        reader.TryGetInt64(out var value) ? value : reader.TryGetDouble(out var d) ? (long)d : null;

    // Streams repeat id/model/provider in every chunk: keep the first, allocate once.
    private void SetOnce(ref string? field, ref Utf8JsonReader reader)
    {
        if (field is not null)
        {
            return;
        }

        if (_skippedLength >= 0)
        {
            LostValue = true;
            return;
        }

        field = reader.GetString();
    }

    private static bool ContainsLimit(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped)
        {
            return reader.GetString()!.Contains("limit", StringComparison.OrdinalIgnoreCase);
        }

        return reader.ValueSpan.IndexOf("limit"u8) >= 0 || reader.ValueSpan.IndexOf("Limit"u8) >= 0;
    }
}
