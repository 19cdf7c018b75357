using System.Diagnostics;
using System.Diagnostics.Metrics;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Ingest;
using LlmMeter.Collector.Store;
using Microsoft.Extensions.Options;

namespace LlmMeter.Collector.Metrics;

/// <summary>
/// The collector's Prometheus metrics, fed by ingest (only accepted records count) and reconciliation.
/// Registered as a singleton by <see cref="MetricsExtensions.AddCollectorMetrics"/>.
/// </summary>
/// <remarks>
/// Exposed as <c>llmmeter_requests_total{app,team,model,provider,outcome,fallback}</c>,
/// <c>llmmeter_spend_usd_total{app,team,model,provider}</c>, <c>llmmeter_tokens_total{app,team,model,type}</c>,
/// <c>llmmeter_request_duration_seconds</c> and <c>llmmeter_time_to_first_token_seconds</c> <c>{app,model}</c>,
/// <c>llmmeter_fallbacks_total{app,requested_model,served_model}</c>, <c>llmmeter_ingest_records_total{result}</c>
/// and <c>llmmeter_ingest_rejections_total{field}</c> (see <see cref="RejectedFieldLabel"/>).
/// Label values: <c>model</c> is the served model, else the requested one; <c>team</c> is the record's
/// <c>team</c> tag, or <c>none</c> when the record has no (or an empty) team tag; a missing model or provider is
/// <c>unknown</c>. Each label keeps at most <c>Metrics:MaxLabelValues</c> distinct values, later ones become
/// <c>other</c>, and is cut to <see cref="BoundedLabel.MaxLength"/> characters. Token types: <c>input</c> (cached included), <c>cached_input</c>, <c>output</c> (reasoning
/// included), <c>reasoning</c>.
/// </remarks>
internal sealed class CollectorMetrics
{
    public const string MeterName = "LlmMeter.Collector";

    /// <summary>The <c>team</c> label of records without a team tag.</summary>
    public const string NoTeam = "none";

    /// <summary>The <c>model</c> / <c>provider</c> label when the record does not say.</summary>
    public const string Unknown = "unknown";


    private readonly Counter<long> _requests;
    private readonly Counter<double> _spend;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _rejections;

    private readonly BoundedLabel _app;
    private readonly BoundedLabel _team;
    private readonly BoundedLabel _model;
    private readonly BoundedLabel _provider;
    private readonly BoundedLabel _requestedModel;
    private readonly BoundedLabel _servedModel;

    private long _accepted;
    private long _duplicates;
    private long _rejected;

    public CollectorMetrics(IMeterFactory meterFactory, IOptions<CollectorOptions> options)
    {
        var max = options.Value.Metrics.MaxLabelValues;
        _app = new BoundedLabel(max);
        _team = new BoundedLabel(max);
        _model = new BoundedLabel(max);
        _provider = new BoundedLabel(max);
        _requestedModel = new BoundedLabel(max);
        _servedModel = new BoundedLabel(max);

        // The exporter appends "_total" to counters and "_seconds" for unit "s"; braced units such as
        // "{request}" add nothing, and "spend_usd" carries its currency in the name (no unit).
        var meter = meterFactory.Create(MeterName, typeof(CollectorMetrics).Assembly.GetName().Version?.ToString());
        _requests = meter.CreateCounter<long>("llmmeter.requests", "{request}", "Ingested LLM calls by outcome and fallback.");
        _spend = meter.CreateCounter<double>("llmmeter.spend_usd", unit: null, "Spend of ingested LLM calls in USD (reported, estimated, then reconciled).");
        _tokens = meter.CreateCounter<long>("llmmeter.tokens", "{token}", "Tokens of ingested LLM calls by type (input includes cached_input, output includes reasoning).");
        _duration = meter.CreateHistogram(
            "llmmeter.request.duration",
            unit: "s",
            description: "Duration of ingested LLM calls, start to last byte.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LlmMeter.Telemetry.Internal.LlmMeterMetrics.DurationBuckets });
        _timeToFirstToken = meter.CreateHistogram(
            "llmmeter.time_to_first_token",
            unit: "s",
            description: "Time to the first content of streamed LLM calls.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LlmMeter.Telemetry.Internal.LlmMeterMetrics.DurationBuckets });
        _fallbacks = meter.CreateCounter<long>("llmmeter.fallbacks", "{request}", "Ingested LLM calls served by another model than the requested one.");
        _rejections = meter.CreateCounter<long>(
            "llmmeter.ingest.rejections",
            "{record}",
            "Records refused by POST /v1/calls, by the field at fault (none: not a record; body: the whole request was refused).");
        // Observed, so all three results are exported (as 0) from the first scrape on.
        meter.CreateObservableCounter(
            "llmmeter.ingest.records",
            ObserveIngestRecords,
            "{record}",
            "Records received by POST /v1/calls: accepted, duplicate (already stored) or rejected (invalid).");
    }

    /// <summary>Counts an insert's accepted records (requests, spend, tokens, durations, fallbacks) and its duplicates.</summary>
    /// <remarks>
    /// Counters are summed per label set first: a batch of 500 records has a handful of label sets, and each
    /// measurement costs the SDK a lookup, so this is one Add per set instead of nine per record.
    /// </remarks>
    public void OnIngested(IngestResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Interlocked.Add(ref _accepted, result.Accepted.Count);
        Interlocked.Add(ref _duplicates, result.Duplicates);
        if (result.Accepted.Count == 0)
        {
            return;
        }

        // One dictionary lookup per record (its label set); the counters are then added once per label set.
        var batch = new Dictionary<RecordLabels, LabelTotals>();
        Dictionary<(string App, string Requested, string Served), long>? fallbacks = null;
        foreach (var record in result.Accepted)
        {
            Record(record, batch, ref fallbacks);
        }

        foreach (var (labels, totals) in batch)
        {
            for (var i = 0; i < totals.Requests.Length; i++)
            {
                if (totals.Requests[i] > 0)
                {
                    _requests.Add(totals.Requests[i], new TagList
                    {
                        { "app", labels.App },
                        { "team", labels.Team },
                        { "model", labels.Model },
                        { "provider", labels.Provider },
                        { "outcome", s_outcomes[i / 2] },
                        { "fallback", i % 2 == 1 ? "true" : "false" },
                    });
                }
            }

            if (totals.HasSpend)
            {
                _spend.Add((double)totals.Spend, SpendTags(labels));
            }

            AddTokens(labels, "input", totals.Input);
            AddTokens(labels, "cached_input", totals.CachedInput);
            AddTokens(labels, "output", totals.Output);
            AddTokens(labels, "reasoning", totals.Reasoning);
        }

        foreach (var ((app, requested, served), count) in fallbacks ?? [])
        {
            _fallbacks.Add(count, new TagList { { "app", app }, { "requested_model", requested }, { "served_model", served } });
        }
    }

    /// <summary>Counts the records of a body refused as a whole (400).</summary>
    public void OnRejected(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _rejected, count);
            _rejections.Add(count, new KeyValuePair<string, object?>("field", RejectedFieldLabel.Body));
        }
    }

    /// <summary>Counts records refused one by one in an otherwise accepted request, by field.</summary>
    public void OnRejected(IReadOnlyList<RejectedRecord> rejected)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        if (rejected.Count == 0)
        {
            return;
        }

        Interlocked.Add(ref _rejected, rejected.Count);
        foreach (var group in rejected.GroupBy(r => RejectedFieldLabel.Of(r.Field), StringComparer.Ordinal))
        {
            _rejections.Add(group.Count(), new KeyValuePair<string, object?>("field", group.Key));
        }
    }

    /// <summary>A record's cost was reconciled: spend grows by the positive difference (counters cannot go down).</summary>
    public void OnCostReconciled(LlmCallRecord record, decimal? previousCost, decimal reconciledCost)
    {
        ArgumentNullException.ThrowIfNull(record);
        var difference = reconciledCost - (previousCost ?? 0m);
        if (difference > 0m)
        {
            _spend.Add((double)difference, SpendTags(Labels(record)));
        }
    }

    private void Record(LlmCallRecord record, Dictionary<RecordLabels, LabelTotals> batch, ref Dictionary<(string, string, string), long>? fallbacks)
    {
        var labels = Labels(record);
        if (!batch.TryGetValue(labels, out var totals))
        {
            batch[labels] = totals = new LabelTotals();
        }

        totals.Requests[(OutcomeIndex(record.Outcome) * 2) + (record.FallbackUsed ? 1 : 0)]++;
        if (record.CostUsd is { } cost && cost >= 0m)
        {
            totals.Spend += cost;
            totals.HasSpend = true;
        }

        totals.Input += Math.Max(0, record.InputTokens ?? 0);
        totals.CachedInput += Math.Max(0, record.CachedInputTokens ?? 0);
        totals.Output += Math.Max(0, record.OutputTokens ?? 0);
        totals.Reasoning += Math.Max(0, record.ReasoningTokens ?? 0);

        // Histograms keep every value: one measurement per record.
        var timing = new TagList { { "app", labels.App }, { "model", labels.Model } };
        if (double.IsFinite(record.LatencyMs) && record.LatencyMs >= 0)
        {
            _duration.Record(record.LatencyMs / 1000.0, timing);
        }

        if (record.TtftMs is { } ttft && double.IsFinite(ttft) && ttft >= 0)
        {
            _timeToFirstToken.Record(ttft / 1000.0, timing);
        }

        if (record.FallbackUsed)
        {
            var key = (labels.App, _requestedModel.Bound(NonEmpty(record.RequestedModel, Unknown)), _servedModel.Bound(NonEmpty(record.ServedModel, Unknown)));
            fallbacks ??= [];
            fallbacks[key] = fallbacks.GetValueOrDefault(key) + 1;
        }
    }

    private void AddTokens(in RecordLabels labels, string type, long count)
    {
        if (count > 0)
        {
            _tokens.Add(count, new TagList
            {
                { "app", labels.App },
                { "team", labels.Team },
                { "model", labels.Model },
                { "type", type },
            });
        }
    }

    private RecordLabels Labels(LlmCallRecord record) => new(
        _app.Bound(NonEmpty(record.App, Unknown)),
        _team.Bound(record.Tags.TryGetValue("team", out var team) ? NonEmpty(team, NoTeam) : NoTeam),
        _model.Bound(NonEmpty(record.ServedModel, NonEmpty(record.RequestedModel, Unknown))),
        _provider.Bound(NonEmpty(record.Provider, Unknown)));

    private static TagList SpendTags(in RecordLabels labels) => new()
    {
        { "app", labels.App },
        { "team", labels.Team },
        { "model", labels.Model },
        { "provider", labels.Provider },
    };

    private IEnumerable<Measurement<long>> ObserveIngestRecords() =>
    [
        new(Interlocked.Read(ref _accepted), new KeyValuePair<string, object?>("result", "accepted")),
        new(Interlocked.Read(ref _duplicates), new KeyValuePair<string, object?>("result", "duplicate")),
        new(Interlocked.Read(ref _rejected), new KeyValuePair<string, object?>("result", "rejected")),
    ];

    private static string NonEmpty(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value;

    // Constant strings, the same snake_case names as the JSON wire format; the last is for values not known here.
    private static readonly string[] s_outcomes = ["success", "http_error", "stream_error", "aborted", "network_error", "blocked", "other"];

    private static int OutcomeIndex(LlmCallOutcome outcome) => outcome switch
    {
        LlmCallOutcome.Success => 0,
        LlmCallOutcome.HttpError => 1,
        LlmCallOutcome.StreamError => 2,
        LlmCallOutcome.Aborted => 3,
        LlmCallOutcome.NetworkError => 4,
        LlmCallOutcome.Blocked => 5,
        _ => 6,
    };

    private readonly record struct RecordLabels(string App, string Team, string Model, string Provider);

    /// <summary>One batch's counter sums for one label set.</summary>
    private sealed class LabelTotals
    {
        /// <summary>Requests per outcome (index in <c>s_outcomes</c>) times 2, plus 1 for fallbacks.</summary>
        public long[] Requests { get; } = new long[s_outcomes.Length * 2];

        public decimal Spend { get; set; }

        public bool HasSpend { get; set; }

        public long Input { get; set; }

        public long CachedInput { get; set; }

        public long Output { get; set; }

        public long Reasoning { get; set; }
    }
}
