using System.Globalization;
using LlmMeter.Pricing;
using EndReason = LlmMeter.Record.Internal.CallState.EndReason;

namespace LlmMeter.Record.Internal;

/// <summary>Turns a finished <see cref="CallState"/> into its immutable <see cref="LlmCallRecord"/>.</summary>
internal static class RecordBuilder
{
    public static LlmCallRecord Build(CallState call, EndReason reason, Exception? exception, long endTimestamp)
    {
        var facts = call.Facts;
        var request = call.Request;
        var requested = request.RequestedModel;
        var (outcome, errorType) = Classify(call, reason, exception);
        var catalog = call.Core.Prices.Current;
        var (fallbackUsed, fallbackIndex) = FallbackDetector.Detect(requested, request.Models, facts.Model, facts, catalog);
        var pricedModels = PricedModels(requested, facts.Model, fallbackUsed, catalog);

        // Counts out of range are dropped first, so an estimate never multiplies an absurd one.
        var warnings = call.Warnings;
        var input = RecordFitter.Count(facts.PromptTokens, RecordLimits.MaxTokens, "input_tokens", ref warnings);
        var output = RecordFitter.Count(facts.CompletionTokens, RecordLimits.MaxTokens, "output_tokens", ref warnings);
        var cached = RecordFitter.Count(facts.CachedTokens, RecordLimits.MaxTokens, "cached_input_tokens", ref warnings);
        var cacheWrite = RecordFitter.Count(facts.CacheWriteTokens, RecordLimits.MaxTokens, "cache_write_tokens", ref warnings);
        var reasoning = RecordFitter.Count(facts.ReasoningTokens, RecordLimits.MaxTokens, "reasoning_tokens", ref warnings);
        if (facts.HasUsage)
        {
            call.Core.Prices.CachedShares.Observe(facts.Model ?? requested, input ?? 0, cached ?? 0);
        }

        decimal? cost = null;
        var costSource = LlmCostSource.None;
        if (facts.Cost is { } reported)
        {
            cost = reported;
            costSource = LlmCostSource.Reported;
        }
        else if (facts.HasUsage && !IsErrorFinish(facts))
        {
            var searches = Math.Clamp(facts.WebSearchRequests ?? 0, 0, RecordLimits.MaxTokens);
            cost = Estimate(catalog, pricedModels, input ?? 0, cached ?? 0, cacheWrite ?? 0, output ?? 0, reasoning ?? 0, searches);
            costSource = cost is null ? LlmCostSource.None : LlmCostSource.Estimated;
        }
        else if (call.IsEventStream && outcome is LlmCallOutcome.Aborted or LlmCallOutcome.NetworkError && call.StatusCode is >= 200 and < 300)
        {
            // Providers may bill an aborted stream: approximate tokens from the request and the streamed output
            // (content, reasoning text and tool-call arguments), about 4 bytes a token; the cached part of the prompt
            // from the model's latest call (see CachedShareMemory).
            input = RecordFitter.Count((request.PromptChars + 3) / 4, RecordLimits.MaxTokens, "input_tokens", ref warnings);
            var streamed = facts.ContentBytes + facts.ReasoningBytes + facts.ToolArgumentBytes;
            output = RecordFitter.Count((streamed + 3) / 4, RecordLimits.MaxTokens, "output_tokens", ref warnings);
            cached = call.Core.Prices.CachedShares.CachedOf(facts.Model ?? requested, input ?? 0) is > 0 and var share ? share : null;
            reasoning = facts.ReasoningBytes > 0
                ? RecordFitter.Count(Math.Min((facts.ReasoningBytes + 3) / 4, output ?? 0), RecordLimits.MaxTokens, "reasoning_tokens", ref warnings)
                : reasoning;
            cost = Estimate(catalog, pricedModels, input ?? 0, cached ?? 0, 0, output ?? 0, reasoning ?? 0, 0);
            costSource = cost is null ? LlmCostSource.None : LlmCostSource.Estimated;
            RecordFitter.Warn(ref warnings, "tokens_approximated");
        }
        else if (facts.HasUsage)
        {
            // Zero-completion insurance: a generation that ended in error is not charged.
            cost = 0;
            costSource = LlmCostSource.Estimated;
        }

        // Everything read from the request and the response is kept within RecordLimits (see RecordFitter).
        cost = RecordFitter.Cost(cost, ref warnings);
        return new LlmCallRecord
        {
            Id = FitId(facts.Id ?? facts.ErrorGenerationId ?? call.GenerationIdHeader, call.StartedAt, ref warnings),
            StartedAt = call.StartedAt,
            App = RecordFitter.Text(call.Core.App, RecordLimits.MaxAppLength, "app", ref warnings)!,
            Tags = RecordFitter.Tags(call.Tags, ref warnings),
            Endpoint = call.Endpoint,
            RequestedModel = RecordFitter.Text(requested, RecordLimits.MaxModelLength, "requested_model", ref warnings),
            FallbackModels = RecordFitter.List(request.Models, RecordLimits.MaxListEntries, RecordLimits.MaxModelLength, "fallback_models", ref warnings),
            ServedModel = RecordFitter.Text(facts.Model, RecordLimits.MaxModelLength, "served_model", ref warnings),
            FallbackUsed = fallbackUsed,
            FallbackIndex = RecordFitter.Count(fallbackIndex, RecordLimits.MaxAttempts, "fallback_index", ref warnings),
            Attempts = RecordFitter.Count(
                facts.RoutingAttempt ?? (facts.RoutingAttemptsCount > 0 ? facts.RoutingAttemptsCount : null), RecordLimits.MaxAttempts, "attempts", ref warnings),
            RequestedProviders = RecordFitter.List(request.Providers, RecordLimits.MaxListEntries, RecordLimits.MaxProviderLength, "requested_providers", ref warnings),
            Provider = RecordFitter.Text(facts.Provider ?? facts.ErrorProvider, RecordLimits.MaxProviderLength, "provider", ref warnings),
            Stream = request.Stream || call.IsEventStream,
            StatusCode = RecordFitter.StatusCode(call.StatusCode, ref warnings),
            Outcome = outcome,
            ErrorType = errorType,
            FinishReason = RecordFitter.Text(facts.FinishReason, RecordLimits.MaxFinishReasonLength, "finish_reason", ref warnings),
            HeadersMs = RecordFitter.Duration(Round(call.HeadersMs), "headers_ms", ref warnings),
            TtftMs = RecordFitter.Duration(Round(call.TtftMs), "ttft_ms", ref warnings),
            LatencyMs = FitLatency(Round(call.ElapsedMs(endTimestamp)) ?? 0, ref warnings),
            InputTokens = input,
            CachedInputTokens = cached,
            CacheWriteTokens = cacheWrite,
            OutputTokens = output,
            ReasoningTokens = reasoning,
            CostUsd = cost,
            CostSource = cost is null ? LlmCostSource.None : costSource,
            Routing = RecordFitter.Routing(call.Routing, ref warnings),
            Warnings = RecordFitter.Warnings(warnings),
        };
    }

    /// <summary>The generation id when it is a valid record id, else a local one (and a warning).</summary>
    private static string FitId(string? id, DateTimeOffset startedAt, ref List<string>? warnings)
    {
        if (id is { Length: > 0 } && ReferenceEquals(RecordLimits.Fit(id, RecordLimits.MaxIdLength), id))
        {
            return id;
        }

        if (id is not null)
        {
            RecordFitter.Warn(ref warnings, "id_invalid");
        }

        return NewLocalId(startedAt);
    }

    /// <summary>Latency is always set: beyond the limit it is the limit (and a warning), never a refused record.</summary>
    private static double FitLatency(double ms, ref List<string>? warnings)
    {
        if (ms is >= 0 and <= RecordLimits.MaxDurationMs)
        {
            return ms;
        }

        RecordFitter.Warn(ref warnings, "latency_ms_out_of_range");
        return ms > 0 ? RecordLimits.MaxDurationMs : 0;
    }

    private static (LlmCallOutcome, LlmErrorType?) Classify(CallState call, EndReason reason, Exception? exception)
    {
        var facts = call.Facts;
        if (call.Blocked)
        {
            return (LlmCallOutcome.Blocked, null);
        }

        if (call.StatusCode is not { } status)
        {
            return reason == EndReason.Cancelled
                ? (LlmCallOutcome.Aborted, null)
                : (LlmCallOutcome.NetworkError, IsTimeout(exception) ? LlmErrorType.Timeout : null);
        }

        if (status is < 200 or >= 300)
        {
            return (LlmCallOutcome.HttpError, ErrorClassifier.FromStatus(status, facts));
        }

        if (facts.HasError || IsErrorFinish(facts))
        {
            // OpenRouter keeps HTTP 200 and puts the error in the body (a chunk when streaming).
            var type = ErrorClassifier.FromStreamError(facts);
            return (call.IsEventStream ? LlmCallOutcome.StreamError : LlmCallOutcome.HttpError, type);
        }

        return reason switch
        {
            EndReason.Completed => (LlmCallOutcome.Success, null),
            EndReason.ReadFailed => (LlmCallOutcome.NetworkError, IsTimeout(exception) ? LlmErrorType.Timeout : null),
            _ => (LlmCallOutcome.Aborted, null),
        };
    }

    private static bool IsErrorFinish(Response.ResponseFacts facts) => facts.FinishReason == "error";

    private static bool IsTimeout(Exception? exception) =>
        exception is TimeoutException || exception?.InnerException is TimeoutException;

    // The served model names what is billed, except when it is the requested model under another name (a canonical
    // slug): then the requested id is priced first, so that a :free request stays free and a paid one paid.
    private static (string? First, string? Second) PricedModels(string? requested, string? served, bool fallbackUsed, ModelPriceCatalog catalog)
    {
        if (served is null)
        {
            return (requested, null);
        }

        return !fallbackUsed && requested is not null && !FallbackDetector.IsRouterOrAlias(requested) && FallbackDetector.SameModel(requested, served, catalog)
            ? (requested, served)
            : (served, null);
    }

    private static decimal? Estimate(
        ModelPriceCatalog catalog, (string? First, string? Second) models, long input, long cached, long cacheWrite, long output, long reasoning, long searches)
    {
        if (!catalog.TryGetPrice(models.First, out var price) && (models.Second is null || !catalog.TryGetPrice(models.Second, out price)))
        {
            return null;
        }

        try
        {
            return price.Cost(input, cached, cacheWrite, output, reasoning, searches);
        }
        catch (OverflowException)
        {
            return decimal.MaxValue; // An absurd catalog price: out of range, so dropped with a warning.
        }
    }

    private static double? Round(double? ms) => ms is { } v ? Math.Round(v, 3) : null;

    private static string NewLocalId(DateTimeOffset startedAt) =>
#if NET9_0_OR_GREATER
        "llmm-" + Guid.CreateVersion7(startedAt).ToString("N", CultureInfo.InvariantCulture);
#else
        "llmm-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
#endif
}
