using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>Where a parser reports what it could not read (the record's <c>warnings</c>).</summary>
internal interface IWarningSink
{
    void AddWarning(string warning);
}

/// <summary>
/// Turns the response bytes the caller reads into <see cref="ResponseFacts"/>: an incremental JSON scan for a plain
/// body, SSE events for a stream, where the first chunks are parsed and later content deltas only measured and
/// kept (see <see cref="RecentEvents"/>). A parse failure stops parsing and leaves a warning; it never throws.
/// Not thread-safe: the call's state serialises reads, completion and disposal.
/// </summary>
internal sealed class ResponseBodyParser : SseParser.IEventHandler, IDisposable
{
    private readonly ResponseFacts _facts;
    private readonly IWarningSink _warnings;
    private readonly IResponseScanner _scanner;
    private readonly Responses.ResponsesScanner? _responses;
    private readonly IncrementalJsonScanner? _json;
    private readonly SseParser? _sse;
    private RecentEvents? _recent;
    private IncrementalJsonScanner? _largeEvent;
    private bool _inLargeEvent;
    private bool _largeEventFailed;

    public ResponseBodyParser(ResponseFacts facts, bool eventStream, IWarningSink warnings, bool responsesApi = false)
    {
        _facts = facts;
        _warnings = warnings;
        _scanner = responsesApi ? _responses = new Responses.ResponsesScanner(facts) : new ResponseScanner(facts);
        if (eventStream)
        {
            _sse = new SseParser();
        }
        else
        {
            _json = new IncrementalJsonScanner(_scanner);
        }
    }

    /// <summary>False once parsing stopped (bad input) or the parser was disposed.</summary>
    public bool Parsing { get; private set; } = true;

    /// <summary>A stream's <c>data: [DONE]</c> was seen.</summary>
    public bool DoneSeen { get; private set; }

    /// <summary>Bytes the incremental parsers went over (see <see cref="IncrementalJsonScanner.BytesExamined"/>).</summary>
    internal long BytesExamined => (_sse?.BytesExamined ?? 0) + (_json?.BytesExamined ?? 0) + (_largeEvent?.BytesExamined ?? 0);

    /// <summary>Capacity of the buffers that keep unfinished tokens and events.</summary>
    internal long KeptCapacity => (_sse?.KeptCapacity ?? 0) + (_json?.KeptCapacity ?? 0) + (_largeEvent?.KeptCapacity ?? 0);

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        if (!Parsing)
        {
            return;
        }

        try
        {
            if (_sse is not null)
            {
                _sse.Feed(bytes, this);
            }
            else if (!_json!.Feed(bytes))
            {
                Stop("response_token_too_large");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            Stop("response_body_not_json");
        }
    }

    /// <summary>The body ended: a last event or value without its terminator still counts.</summary>
    public void Complete()
    {
        if (!Parsing)
        {
            return;
        }

        try
        {
            if (_sse is not null)
            {
                _sse.Complete(this);
                ScanRecent();
            }
            else
            {
                _json?.Complete();
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            _warnings.AddWarning("response_body_not_json");
        }
    }

    /// <summary>The body was abandoned: an aborted stream still tells its finish reason or error, if they came.</summary>
    public void Abandon()
    {
        if (Parsing)
        {
            ScanRecent();
        }
    }

    public void Dispose()
    {
        _sse?.Dispose();
        _json?.Dispose();
        _largeEvent?.Dispose();
        _recent?.Dispose();
        Parsing = false;
    }

    void SseParser.IEventHandler.OnEvent(ReadOnlySpan<byte> data)
    {
        if (!Parsing)
        {
            return;
        }

        if (_responses is not null)
        {
            // Responses API events: deltas measured, events after the terminal one ignored, the others parsed.
            if (!_responses.TryTriage(data))
            {
                ScanEvent(data, countContent: true);
                DoneSeen |= _responses.Ended;
            }

            return;
        }

        DeltaTextMeter.Measure(data, _facts);

        // Once the first chunks gave the model and the first token, content deltas are measured and kept
        // for later, not parsed: usage, finish reason and errors come at the end (see RecentEvents).
        if (_facts.SawToken && _facts.Model is not null && EventTriage.CanTriage(data))
        {
            _facts.ContentBytes += EventTriage.ContentBytes(data);
            if (!EventTriage.HasUsage(data))
            {
                (_recent ??= new RecentEvents()).Remember(data);
                return;
            }

            ScanRecent();
            ScanEvent(data, countContent: false);
            return;
        }

        ScanRecent(); // Events kept for later come first.
        ScanEvent(data, countContent: true);
    }

    void SseParser.IEventHandler.OnEventPart(ReadOnlySpan<byte> part)
    {
        if (!Parsing || _largeEventFailed || _responses is { Ended: true })
        {
            return;
        }

        if (_largeEvent is not { } scanner || !_inLargeEvent)
        {
            // Too large to keep: scanned as it arrives, in order after the events kept for later.
            ScanRecent();
            _scanner.Reset();
            scanner = _largeEvent ??= new IncrementalJsonScanner(_scanner);
            scanner.Reset();
            _inLargeEvent = true;
        }

        try
        {
            if (!scanner.Feed(part))
            {
                Stop("response_token_too_large");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            _warnings.AddWarning("stream_chunk_not_json");
            _largeEventFailed = true; // The rest of this event is passed over.
        }
    }

    void SseParser.IEventHandler.OnEventEnd()
    {
        try
        {
            if (Parsing && _inLargeEvent && !_largeEventFailed)
            {
                _largeEvent!.Complete();
                DoneSeen |= _responses is { Ended: true };
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            _warnings.AddWarning("stream_chunk_not_json");
        }
        finally
        {
            _inLargeEvent = false;
            _largeEventFailed = false;
        }
    }

    void SseParser.IEventHandler.OnDone() => DoneSeen = true;

    private void ScanEvent(ReadOnlySpan<byte> data, bool countContent)
    {
        var contentBytes = _facts.ContentBytes;
        _scanner.Reset();
        try
        {
            var reader = new Utf8JsonReader(data, isFinalBlock: true, default);
            _scanner.Scan(ref reader);
        }
        catch (JsonException)
        {
            _warnings.AddWarning("stream_chunk_not_json");
        }

        if (!countContent)
        {
            _facts.ContentBytes = contentBytes; // Already measured by the triage.
        }
    }

    private void ScanRecent()
    {
        if (_recent is not { Count: > 0 } recent)
        {
            return;
        }

        for (var i = 0; i < recent.Count; i++)
        {
            ScanEvent(recent[i], countContent: false);
        }

        recent.Clear();
    }

    private void Stop(string warning)
    {
        Parsing = false;
        _warnings.AddWarning(warning);
    }
}
