using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlmMeter.Telemetry.Internal;

/// <summary>
/// The client instruments: the OpenTelemetry GenAI semantic-convention histograms (names, attributes and
/// bucket advice as the spec gives them) plus LlmMeter's cost and request counters, and the counters of the
/// collector exporter (<see cref="LlmMeterCollectorSink"/>).
/// </summary>
internal sealed class LlmMeterMetrics
{
    public const string MeterName = "LlmMeter";

    /// <summary>OpenTelemetry GenAI bucket advice for durations (10 ms to 82 s, doubling); the collector's histograms use it too.</summary>
    internal static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly long[] s_tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly Lazy<LlmMeterMetrics> s_shared = new(() => new LlmMeterMetrics(null));

    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _sinkErrors;
    private readonly Counter<long> _internalErrors;
    private readonly Counter<long> _exporterSent;
    private readonly Counter<long> _exporterRejected;
    private readonly Counter<long> _exporterFailed;
    private readonly Counter<long> _exporterDropped;

    public LlmMeterMetrics(IMeterFactory? factory)
    {
        var version = typeof(LlmMeterMetrics).Assembly.GetName().Version?.ToString();
        var meter = factory?.Create(MeterName, version) ?? new Meter(MeterName, version);

        _duration = meter.CreateHistogram(
            "gen_ai.client.operation.duration",
            unit: "s",
            description: "GenAI operation duration.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _tokens = meter.CreateHistogram(
            "gen_ai.client.token.usage",
            unit: "{token}",
            description: "Number of input and output tokens used.",
            tags: null,
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = s_tokenBuckets });
        _timeToFirstChunk = meter.CreateHistogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit: "s",
            description: "Time to receive the first chunk of a streamed response.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _cost = meter.CreateCounter<double>("llmmeter.client.cost", unit: "USD", description: "Cost of metered calls in USD (reported or estimated).");
        _requests = meter.CreateCounter<long>("llmmeter.client.requests", unit: "{request}", description: "Metered calls by outcome and fallback.");
        _sinkErrors = meter.CreateCounter<long>("llmmeter.client.sink_errors", unit: "{error}", description: "Exceptions thrown by record sinks (swallowed).");
        _internalErrors = meter.CreateCounter<long>("llmmeter.client.meter_errors", unit: "{error}", description: "Calls the meter could not read fully (the call itself went through untouched).");
        _exporterSent = meter.CreateCounter<long>("llmmeter.exporter.sent", unit: "{record}", description: "Records the collector acknowledged (new or duplicate).");
        _exporterRejected = meter.CreateCounter<long>("llmmeter.exporter.rejected", unit: "{record}", description: "Records the collector refused as invalid (never resent), by the field at fault.");
        _exporterFailed = meter.CreateCounter<long>("llmmeter.exporter.failed", unit: "{record}", description: "Records given up: the collector kept failing them while taking others, refused the request, or they were undelivered when the shutdown timeout ran out.");
        _exporterDropped = meter.CreateCounter<long>("llmmeter.exporter.dropped", unit: "{record}", description: "Records dropped because the exporter's buffer was full or the exporter was closed.");
    }

    /// <summary>Instruments on a process-wide meter, for handlers built without DI.</summary>
    public static LlmMeterMetrics Shared => s_shared.Value;

    public void SinkFailed() => _sinkErrors.Add(1);

    public void MeterFailed() => _internalErrors.Add(1);

    public void ExporterSent(int records) => _exporterSent.Add(records);

    /// <param name="records">How many records the collector refused as invalid.</param>
    /// <param name="field">The record field at fault: a wire name such as <c>served_model</c>, or <c>other</c> (bounded).</param>
    public void ExporterRejected(int records, string field) =>
        _exporterRejected.Add(records, new KeyValuePair<string, object?>("field", field));

    /// <param name="records">How many records were lost.</param>
    /// <param name="errorType">The HTTP status (<c>http_500</c>), <c>shutdown</c> or the exception type.</param>
    public void ExporterFailed(int records, string errorType) =>
        _exporterFailed.Add(records, new KeyValuePair<string, object?>("error.type", errorType));

    public void ExporterDropped() => _exporterDropped.Add(1);

    public void Record(LlmCallRecord record, string serverAddress, int serverPort)
    {
        // No listener (no OpenTelemetry, no MeterListener): every Record/Add below would be a no-op, so skip
        // building the tag lists and boxing the port and fallback flag on every call.
        if (!_duration.Enabled && !_tokens.Enabled && !_timeToFirstChunk.Enabled && !_cost.Enabled && !_requests.Enabled)
        {
            return;
        }

        var operation = OperationName(record.Endpoint);
        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "gen_ai.provider.name", "openrouter" },
            { "gen_ai.request.model", record.RequestedModel },
            { "server.address", serverAddress },
            { "server.port", serverPort },
        };
        if (record.ServedModel is not null)
        {
            tags.Add("gen_ai.response.model", record.ServedModel);
        }

        var durationTags = tags;
        if (record.Outcome != LlmCallOutcome.Success)
        {
            durationTags.Add("error.type", ErrorTypeName(record));
        }

        _duration.Record(record.LatencyMs / 1000.0, durationTags);

        if (record.TtftMs is { } ttft)
        {
            _timeToFirstChunk.Record(ttft / 1000.0, tags);
        }

        if (record.InputTokens is { } input)
        {
            var t = tags;
            t.Add("gen_ai.token.type", "input");
            _tokens.Record(input, t);
        }

        if (record.OutputTokens is { } output)
        {
            var t = tags;
            t.Add("gen_ai.token.type", "output");
            _tokens.Record(output, t);
        }

        var mine = new TagList
        {
            { "llmmeter.app", record.App },
            { "gen_ai.request.model", record.RequestedModel },
            { "gen_ai.response.model", record.ServedModel },
            { "llmmeter.provider", record.Provider },
        };
        if (record.CostUsd is { } cost && cost > 0)
        {
            var c = mine;
            c.Add("llmmeter.cost_source", CostSourceName(record.CostSource));
            _cost.Add((double)cost, c);
        }

        mine.Add("llmmeter.outcome", OutcomeName(record.Outcome));
        mine.Add("llmmeter.fallback", record.FallbackUsed);
        _requests.Add(1, mine);
    }

    // The Responses API is a chat operation in the GenAI conventions: a well-known value that applies must be used.
    private static string OperationName(string endpoint) => endpoint switch
    {
        LlmEndpoints.ChatCompletions or LlmEndpoints.Responses => "chat",
        LlmEndpoints.Completions => "text_completion",
        LlmEndpoints.Embeddings => "embeddings",
        _ => "other",
    };

    // Constant strings: no per-call allocation from enum formatting.
    private static string OutcomeName(LlmCallOutcome outcome) => outcome switch
    {
        LlmCallOutcome.Success => "success",
        LlmCallOutcome.HttpError => "http_error",
        LlmCallOutcome.StreamError => "stream_error",
        LlmCallOutcome.Aborted => "aborted",
        LlmCallOutcome.NetworkError => "network_error",
        _ => "blocked",
    };

    private static string CostSourceName(LlmCostSource source) => source switch
    {
        LlmCostSource.Reported => "reported",
        LlmCostSource.Estimated => "estimated",
        LlmCostSource.Reconciled => "reconciled",
        _ => "none",
    };

    private static string ErrorTypeName(LlmCallRecord record) => record.ErrorType switch
    {
        LlmErrorType.InsufficientCredits => "insufficient_credits",
        LlmErrorType.RateLimited => "rate_limited",
        LlmErrorType.Moderation => "moderation",
        LlmErrorType.Timeout => "timeout",
        LlmErrorType.UpstreamUnavailable => "upstream_unavailable",
        LlmErrorType.NoProvider => "no_provider",
        LlmErrorType.BadRequest => "bad_request",
        LlmErrorType.Unauthorized => "unauthorized",
        LlmErrorType.Other => "other",
        _ => OutcomeName(record.Outcome),
    };
}
