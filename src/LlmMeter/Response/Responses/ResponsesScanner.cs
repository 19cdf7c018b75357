using System.Text.Json;

namespace LlmMeter.Response.Responses;

/// <summary>
/// Picks the metered fields out of OpenAI Responses API bodies (<c>POST /responses</c>), token by token: the JSON
/// answer, and each typed stream event. The <c>response</c> object of <c>response.created</c>, <c>.completed</c>,
/// <c>.failed</c> and <c>.incomplete</c> has the answer's shape (<c>id</c>, <c>model</c>, <c>status</c>,
/// <c>usage</c>, <c>error</c>, <c>incomplete_details</c>, <c>output</c>); <c>*.delta</c> events carry a
/// <c>delta</c> string; an <c>error</c> event carries <c>code</c> and <c>message</c>; OpenRouter's own error
/// body or chunk (<c>{"error": {...}}</c>) is read too. Keys may come in any order: what depends on several
/// keys is settled when their object closes. Never keeps message text.
/// </summary>
internal sealed partial class ResponsesScanner : IResponseScanner
{
    private const int MaxTrackedDepth = 16;

    private readonly ResponseFacts _facts;
    private readonly Ctx[] _stack = new Ctx[MaxTrackedDepth];
    private int _depth;
    private Prop _prop;
    private long _skippedLength = -1;

    // The event being scanned (the root object).
    private EventKind _eventKind;
    private long _deltaBytes;
    private string? _eventCode;
    private bool _eventMessageMentionsLimit;

    // The response object being scanned (the body's root, or an event's "response").
    private string? _status;
    private string? _incompleteReason;

    // Across events: a function call among the outputs makes the finish reason "tool_calls".
    private bool _calledTool;

    public ResponsesScanner(ResponseFacts facts) => _facts = facts;

    /// <summary>A terminal status (<c>completed</c>, <c>incomplete</c>, <c>failed</c>, <c>cancelled</c>) was seen: the stream's end.</summary>
    public bool Ended { get; private set; }

    /// <summary>
    /// Handles a stream event without a parse when it can: true for a delta event (measured) and for anything after
    /// the terminal event (a <c>[DONE]</c>, or the part of one read when the call ended); false when it needs a scan.
    /// </summary>
    public bool TryTriage(ReadOnlySpan<byte> data)
    {
        if (Ended)
        {
            return true;
        }

        if (!ResponsesEventTriage.TryMeasureDelta(data, out var bytes, out var reasoning))
        {
            return false;
        }

        CountDelta(bytes, reasoning);
        return true;
    }

    /// <summary>
    /// Never set: only delta text, which is measured, and an attempt's model too long to be one (then no name) are
    /// ever skipped (see <see cref="NeedsNextString"/>).
    /// </summary>
    public bool LostValue => false;

    /// <summary>
    /// A long string is kept whole only as the value of a key this scanner reads (other than an event's
    /// <c>delta</c>, which is only measured); output text, unknown keys and untracked objects are measured and
    /// dropped, and so is an attempt's model that long (no model id is). After a value the property is stale, which
    /// only errs on the side of keeping.
    /// </summary>
    public bool NeedsNextString => Top is not (Ctx.Skip or Ctx.MetaAttempt) && _prop != Prop.None && !(Top == Ctx.Root && _prop == Prop.Delta);

    public void SkipNextString(long rawLength) => _skippedLength = rawLength;

    public void Reset()
    {
        _depth = 0;
        _prop = Prop.None;
        _skippedLength = -1;
    }

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
                    Push(_depth == 0 ? StartRoot() : ChildObject(Top, _prop));
                    break;
                case JsonTokenType.StartArray:
                    Push(ChildArray(Top, _prop));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    var closing = Top;
                    _depth--;
                    _prop = Prop.None;
                    OnClose(closing);
                    break;
                case JsonTokenType.String:
                    OnString(ref reader);
                    _skippedLength = -1;
                    break;
                case JsonTokenType.Number:
                    OnNumber(ref reader);
                    break;
            }
        }
    }

    private Ctx Top => _depth == 0 ? Ctx.Skip : _depth <= MaxTrackedDepth ? _stack[_depth - 1] : Ctx.Skip;

    private static bool IsResponseLevel(Ctx ctx) => ctx is Ctx.Root or Ctx.Response;

    private void Push(Ctx ctx)
    {
        if (_depth < MaxTrackedDepth)
        {
            _stack[_depth] = ctx;
        }

        _depth++;
        _prop = Prop.None;
    }

    private Ctx StartRoot()
    {
        _eventKind = EventKind.Other;
        _deltaBytes = 0;
        _eventCode = null;
        _eventMessageMentionsLimit = false;
        StartResponse();
        return Ctx.Root;
    }

    private void StartResponse()
    {
        _status = null;
        _incompleteReason = null;
    }

    private Ctx ChildObject(Ctx parent, Prop prop)
    {
        switch (parent)
        {
            case Ctx.Root when prop == Prop.Response:
                StartResponse();
                return Ctx.Response;
            case Ctx.Root when prop == Prop.Item:
                return Ctx.OutputItem; // response.output_item.added/done: a function call shows here first.
            case Ctx.Root or Ctx.Response when prop == Prop.Usage:
                return Ctx.Usage;
            case Ctx.Root or Ctx.Response when prop == Prop.Error:
                _facts.HasError = true;
                return Ctx.Error;
            case Ctx.Root or Ctx.Response when prop == Prop.IncompleteDetails:
                return Ctx.IncompleteDetails;
            case Ctx.Root or Ctx.Response when prop == Prop.Meta:
                _facts.HasRoutingMetadata = true;
                return Ctx.Meta;
            case Ctx.Usage when prop == Prop.InputDetails:
                return Ctx.InputDetails;
            case Ctx.Usage when prop == Prop.OutputDetails:
                return Ctx.OutputDetails;
            case Ctx.Error when prop == Prop.Metadata:
                return Ctx.ErrorMetadata;
            case Ctx.Output:
                return Ctx.OutputItem;
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
            case Ctx.Root or Ctx.Response when prop == Prop.Output:
                return Ctx.Output;
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
        var ctx = Top;
        switch (_prop)
        {
            case Prop.Type when ctx == Ctx.Root:
                _eventKind = reader.ValueTextEquals("error"u8) ? EventKind.Error
                    : Contains(ref reader, "reasoning"u8) ? EventKind.Reasoning
                    : EventKind.Other;
                break;
            case Prop.Type when ctx == Ctx.OutputItem:
                _calledTool |= reader.ValueTextEquals("function_call"u8) || reader.ValueTextEquals("custom_tool_call"u8);
                break;
            case Prop.Delta when ctx == Ctx.Root:
                // Measured as written (escapes included), as chat deltas are: only the size is kept.
                _deltaBytes += _skippedLength >= 0 ? _skippedLength : reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                break;
            case Prop.Code when ctx == Ctx.Root:
                _eventCode ??= reader.GetString();
                break;
            case Prop.Message when ctx == Ctx.Root:
                _eventMessageMentionsLimit |= Contains(ref reader, "limit"u8) || Contains(ref reader, "Limit"u8);
                break;
            case Prop.Id when IsResponseLevel(ctx):
                _facts.Id ??= reader.GetString();
                break;
            case Prop.Model when IsResponseLevel(ctx):
                _facts.Model ??= reader.GetString();
                break;
            case Prop.Provider when IsResponseLevel(ctx):
                _facts.Provider ??= reader.GetString();
                break;
            case Prop.Status when IsResponseLevel(ctx):
                _status = reader.GetString();
                break;
            case Prop.Code when ctx == Ctx.Error:
                SetErrorCode(reader.GetString());
                break;
            case Prop.Message when ctx == Ctx.Error:
                // The message is not kept (it can quote the prompt); only whether it speaks of a limit.
                _facts.ErrorMentionsLimit |= Contains(ref reader, "limit"u8) || Contains(ref reader, "Limit"u8);
                break;
            case Prop.ErrorType when ctx == Ctx.ErrorMetadata:
                _facts.ErrorMetadataType ??= reader.GetString();
                break;
            case Prop.ProviderName when ctx == Ctx.ErrorMetadata:
                _facts.ErrorProvider ??= reader.GetString();
                break;
            case Prop.GenerationId when ctx == Ctx.ErrorMetadata:
                _facts.ErrorGenerationId ??= reader.GetString();
                break;
            case Prop.Reason when ctx == Ctx.IncompleteDetails:
                _incompleteReason = reader.GetString();
                break;
            case Prop.Strategy when ctx == Ctx.Meta:
                _facts.RoutingStrategy ??= reader.GetString();
                break;
            case Prop.Model when ctx == Ctx.MetaAttempt:
                _facts.RoutingAttemptModels!.Add(ref reader, skipped: _skippedLength >= 0);
                break;
        }
    }

    private void OnNumber(ref Utf8JsonReader reader)
    {
        switch (Top)
        {
            case Ctx.Usage when _prop == Prop.InputTokens:
                _facts.PromptTokens = ReadLong(ref reader);
                break;
            case Ctx.Usage when _prop == Prop.OutputTokens:
                _facts.CompletionTokens = ReadLong(ref reader);
                break;
            case Ctx.Usage when _prop == Prop.Cost:
                // Beyond decimal's range: a value the record drops with a warning, never an exception here.
                _facts.Cost = reader.TryGetDecimal(out var cost) ? cost : decimal.MaxValue;
                break;
            case Ctx.InputDetails when _prop == Prop.CachedTokens:
                _facts.CachedTokens = ReadLong(ref reader);
                break;
            case Ctx.InputDetails when _prop == Prop.CacheWriteTokens:
                _facts.CacheWriteTokens = ReadLong(ref reader);
                break;
            case Ctx.OutputDetails when _prop == Prop.ReasoningTokens:
                _facts.ReasoningTokens = ReadLong(ref reader);
                break;
            case Ctx.Error when _prop == Prop.Code:
                _facts.ErrorCode ??= reader.TryGetInt32(out var code) ? code : null;
                break;
            case Ctx.Meta when _prop == Prop.Attempt:
                _facts.RoutingAttempt = reader.TryGetInt32(out var attempt) ? attempt : null;
                break;
        }
    }

    private void OnClose(Ctx closing)
    {
        if (closing == Ctx.MetaAttempt)
        {
            _facts.RoutingAttemptModels!.EndAttempt();
        }

        if (closing is Ctx.Root or Ctx.Response)
        {
            FinishResponse();
        }

        if (closing == Ctx.Root && _depth == 0)
        {
            FinishEvent();
        }
    }

    // A response object closed: a terminal status ends the stream and gives the finish reason.
    private void FinishResponse()
    {
        if (ResponsesFinishReason.From(_status, _incompleteReason, _calledTool) is { } finish)
        {
            _facts.FinishReason ??= finish;
            Ended = true;
        }

        _status = null;
    }

    private void FinishEvent()
    {
        CountDelta(_deltaBytes, _eventKind == EventKind.Reasoning);
        if (_eventKind == EventKind.Error)
        {
            _facts.HasError = true;
            SetErrorCode(_eventCode);
            _facts.ErrorMentionsLimit |= _eventMessageMentionsLimit;
        }
    }

    // Every delta is billed output (the size approximates an aborted stream's tokens); time to first token counts
    // visible output only (text, refusal, tool-call arguments), as for chat completions.
    private void CountDelta(long bytes, bool reasoning)
    {
        _facts.ContentBytes += bytes;
        _facts.SawToken |= bytes > 0 && !reasoning;
    }

    private void SetErrorCode(string? code)
    {
        if (code is null || _facts.ErrorCodeText is not null)
        {
            return;
        }

        _facts.ErrorCodeText = code;
        if (int.TryParse(code, out var parsed))
        {
            _facts.ErrorCode ??= parsed;
        }
    }

    private static long? ReadLong(ref Utf8JsonReader reader) =>
        reader.TryGetInt64(out var value) ? value : reader.TryGetDouble(out var d) && d is >= 0 and < long.MaxValue ? (long)d : null;

    private static bool Contains(ref Utf8JsonReader reader, ReadOnlySpan<byte> word)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped)
        {
            return reader.GetString()!.Contains(System.Text.Encoding.UTF8.GetString(word), StringComparison.Ordinal);
        }

        return reader.ValueSpan.IndexOf(word) >= 0;
    }
}
