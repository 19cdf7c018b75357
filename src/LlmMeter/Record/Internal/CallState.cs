using LlmMeter.Internal;
using LlmMeter.Request;
using LlmMeter.Response;

namespace LlmMeter.Record.Internal;

/// <summary>
/// The state of one metered call, from request to last byte. It finishes exactly once: at the end of the
/// body (EOF, <c>[DONE]</c>, or Content-Length reached), on a read error, when the caller disposes, or,
/// if the caller drops the response without disposing it, from the finalizer.
/// </summary>
internal sealed class CallState : IWarningSink
{
    private readonly MeterCore _core;
    private readonly long _startTimestamp;
    private readonly string _serverAddress;
    private readonly int _serverPort;
    private readonly ResponseFacts _facts = new();
    private ResponseBodyParser? _body;
    private long _headersTimestamp;
    private long _ttftTimestamp;
    private long _bodyBytes;
    private long? _contentLength;
    private System.Net.Http.Headers.HttpResponseHeaders? _responseHeaders;
    private int _finished;
    private int _observing;

    private CallState(MeterCore core, Uri uri, string endpoint, IReadOnlyDictionary<string, string> tags, RequestInfo request)
    {
        _core = core;
        _serverAddress = uri.Host;
        _serverPort = uri.Port;
        _startTimestamp = core.Time.GetTimestamp();
        StartedAt = TruncateToMilliseconds(core.Time.GetUtcNow());
        Endpoint = endpoint;
        Tags = tags;
        Request = request;
        if (request.Warning is { } warning)
        {
            AddWarning(warning);
        }
    }

    ~CallState()
    {
        // The caller dropped the response without reading it to the end or disposing it.
        Finish(EndReason.Abandoned, null);
    }

    internal enum EndReason
    {
        Completed,
        Disposed,
        Cancelled,
        ReadFailed,
        SendFailed,
        Abandoned,
    }

    public DateTimeOffset StartedAt { get; }

    public string Endpoint { get; }

    public IReadOnlyDictionary<string, string> Tags { get; }

    public RequestInfo Request { get; }

    public ResponseFacts Facts => _facts;

    public int? StatusCode { get; private set; }

    /// <summary>The <c>X-Generation-Id</c> response header, looked up only when the body has no id.</summary>
    public string? GenerationIdHeader
    {
        get
        {
            if (_responseHeaders is { } headers && headers.NonValidated.TryGetValues("X-Generation-Id", out var values))
            {
                foreach (var value in values)
                {
                    return value;
                }
            }

            return null;
        }
    }

    public bool IsEventStream { get; private set; }

    /// <summary>The routing rule applied before the call went out, if any.</summary>
    public LlmRoutingInfo? Routing { get; set; }

    /// <summary>Budgets this call holds a place in until it ends (see <c>PolicyEnforcer</c>).</summary>
    public List<Policy.Internal.BudgetEntry>? BudgetReservations { get; set; }

    /// <summary>True when a routing rule answered the call instead of OpenRouter.</summary>
    public bool Blocked { get; private set; }

    public List<string>? Warnings { get; private set; }

    public static async ValueTask<CallState> StartAsync(MeterCore core, HttpRequestMessage request, string endpoint, CancellationToken cancellationToken)
    {
        var tags = RequestHeaders.Prepare(core, request, out var tagWarning);
        var info = await RequestBodyReader.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        return Create(core, request.RequestUri!, endpoint, tags, info, tagWarning);
    }

    public static CallState Start(MeterCore core, HttpRequestMessage request, string endpoint, CancellationToken cancellationToken)
    {
        var tags = RequestHeaders.Prepare(core, request, out var tagWarning);
        var info = RequestBodyReader.Read(request, cancellationToken);
        return Create(core, request.RequestUri!, endpoint, tags, info, tagWarning);
    }

    /// <summary>The request failed before a response. Always false, to be used as an exception filter.</summary>
    public bool OnSendFailed(Exception exception, CancellationToken callerToken)
    {
        Finish(exception, callerToken, EndReason.SendFailed);
        return false;
    }

    public void OnResponse(HttpResponseMessage response)
    {
        _headersTimestamp = _core.Time.GetTimestamp();
        StatusCode = (int)response.StatusCode;
        _responseHeaders = response.Headers;
        var headers = response.Content.Headers;

        // The raw header, not ContentType: that would parse and allocate on every call.
        IsEventStream = headers.NonValidated.TryGetValues("Content-Type", out var contentType)
            && contentType.ToString().AsSpan().TrimStart().StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
        _contentLength = headers.ContentLength;
        // Checking presence first: the ContentEncoding collection is allocated on first access, on every call.
        if (headers.NonValidated.Contains("Content-Encoding")
            && headers.ContentEncoding.Count > 0 && !headers.ContentEncoding.All(static e => e.Equals("identity", StringComparison.OrdinalIgnoreCase)))
        {
            AddWarning("response_body_encoded"); // The caller reads compressed bytes; the meter cannot parse them.
            return;
        }

        _body = new ResponseBodyParser(_facts, IsEventStream, this, responsesApi: Endpoint == LlmEndpoints.Responses);
        if (_contentLength == 0)
        {
            Finish(EndReason.Completed, null);
        }
    }

    /// <summary>Bytes the caller just read.</summary>
    public void OnBytes(ReadOnlySpan<byte> bytes)
    {
        // A flag rather than a lock: reads of one stream do not overlap, only a dispose or the finish can
        // race with a read, and Finish waits for the flag to drop before it touches the parsers.
        if (Interlocked.Exchange(ref _observing, 1) != 0)
        {
            return;
        }

        bool complete;
        try
        {
            if (Volatile.Read(ref _finished) != 0)
            {
                return;
            }

            _bodyBytes += bytes.Length;
            _body?.Feed(bytes);

            // Only streams report TTFT; a clock read per non-streamed body would be wasted.
            if (_ttftTimestamp == 0 && IsEventStream && _facts.SawToken)
            {
                _ttftTimestamp = _core.Time.GetTimestamp();
            }

            // [DONE] ends a stream even if the caller stops reading there; Content-Length ends a body.
            complete = DoneSeen || (!IsEventStream && _bodyBytes == _contentLength);
        }
        finally
        {
            Volatile.Write(ref _observing, 0);
        }

        if (complete)
        {
            Finish(EndReason.Completed, null);
        }
    }

    public void OnEndOfBody() => Finish(EndReason.Completed, null);

    /// <summary>A routing rule blocked the call: nothing went out, the caller gets a synthesized response.</summary>
    public void FinishBlocked(int statusCode)
    {
        Blocked = true;
        StatusCode = statusCode;
        _headersTimestamp = _core.Time.GetTimestamp();
        Finish(EndReason.Completed, null);
    }

    public void OnReadFailed(Exception exception) =>
        Finish(exception is OperationCanceledException ? EndReason.Cancelled : EndReason.ReadFailed, exception);

    /// <summary>A read with <paramref name="token"/> failed: HttpClient's buffering of the body runs under its <c>Timeout</c>.</summary>
    public void OnReadFailed(Exception exception, CancellationToken token) => Finish(exception, token, EndReason.ReadFailed);

    public void OnDisposed() => Finish(EndReason.Disposed, null);

    internal void Finish(EndReason reason, Exception? exception)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);
        try
        {
            var end = _core.Time.GetTimestamp();
            var spin = default(SpinWait);
            while (Volatile.Read(ref _observing) != 0)
            {
                spin.SpinOnce(); // A read on another thread is finishing its look at the bytes.
            }

            if (_body is { } body)
            {
                if (reason == EndReason.Completed)
                {
                    body.Complete();
                }
                else
                {
                    body.Abandon();
                }

                body.Dispose();
            }

            var record = RecordBuilder.Build(this, reason, exception, end);
            _core.Emit(record); // Counts the cost in the budgets before the reservation ends: never a gap.
            _core.Metrics.Record(record, _serverAddress, _serverPort);
        }
        catch (Exception ex)
        {
            _core.MeterFailed(ex);
        }
        finally
        {
            Policy.Internal.PolicyEnforcer.Release(this);
        }
    }

    internal double ElapsedMs(long timestamp) => timestamp == 0 ? 0 : _core.Time.GetElapsedTime(_startTimestamp, timestamp).TotalMilliseconds;

    internal double? HeadersMs => _headersTimestamp == 0 ? null : ElapsedMs(_headersTimestamp);

    internal double? TtftMs => _ttftTimestamp == 0 || !IsEventStream ? null : ElapsedMs(_ttftTimestamp);

    internal bool DoneSeen => _body?.DoneSeen ?? false;

    internal MeterCore Core => _core;

    private static CallState Create(MeterCore core, Uri uri, string endpoint, IReadOnlyDictionary<string, string> tags, RequestInfo info, bool tagWarning)
    {
        var state = new CallState(core, uri, endpoint, tags, info);
        if (tagWarning)
        {
            state.AddWarning("tags_header_invalid");
        }

        return state;
    }

    // A failure while the token was cancelled is the cancellation's doing (HttpClient counts an HttpRequestException
    // then as cancelled too): HttpClient.Timeout is recorded as HttpClient reports it to the caller, a timeout
    // (network_error, timeout); the caller's own cancellation is an abort.
    private void Finish(Exception exception, CancellationToken token, EndReason failed)
    {
        if (exception is OperationCanceledException or HttpRequestException && token.IsCancellationRequested)
        {
            if (CancellationCause.IsLinkedTimeout(token))
            {
                Finish(failed, new TimeoutException("HttpClient.Timeout elapsed.", exception));
            }
            else
            {
                Finish(EndReason.Cancelled, exception);
            }
        }
        else
        {
            Finish(exception is OperationCanceledException && failed == EndReason.ReadFailed ? EndReason.Cancelled : failed, exception);
        }
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    public void AddWarning(string warning)
    {
        Warnings ??= new List<string>(2);
        if (!Warnings.Contains(warning))
        {
            Warnings.Add(warning);
        }
    }
}
