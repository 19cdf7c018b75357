using System.Globalization;
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
        var (fallbackUsed, fallbackIndex) = FallbackDetector.Detect(requested, request.Models, facts.Model, facts);

        long? input = facts.PromptTokens, output = facts.CompletionTokens;
        decimal? cost = null;
        var costSource = LlmCostSource.None;
        var warnings = call.Warnings;
        if (facts.Cost is { } reported)
        {
            cost = reported;
            costSource = LlmCostSource.Reported;
        }
        else if (facts.HasUsage && !IsErrorFinish(facts))
        {
            cost = Estimate(call, input ?? 0, facts.CachedTokens ?? 0, facts.CacheWriteTokens ?? 0, output ?? 0, facts.ReasoningTokens ?? 0);
            costSource = cost is null ? LlmCostSource.None : LlmCostSource.Estimated;
        }
        else if (call.IsEventStream && outcome is LlmCallOutcome.Aborted or LlmCallOutcome.NetworkError && call.StatusCode is >= 200 and < 300)
        {
            // Providers may bill an aborted stream: approximate tokens from the request and the streamed text.
            input = (request.PromptChars + 3) / 4;
            output = (facts.ContentBytes + 3) / 4;
            cost = Estimate(call, input.Value, 0, 0, output.Value, 0);
            costSource = cost is null ? LlmCostSource.None : LlmCostSource.Estimated;
            (warnings ??= []).Add("tokens_approximated");
        }
        else if (facts.HasUsage)
        {
            // Zero-completion insurance: a generation that ended in error is not charged.
            cost = 0;
            costSource = LlmCostSource.Estimated;
        }

        return new LlmCallRecord
        {
            Id = facts.Id ?? call.GenerationIdHeader ?? NewLocalId(call.StartedAt),
            StartedAt = call.StartedAt,
            App = call.Core.App,
            Tags = call.Tags,
            Endpoint = call.Endpoint,
            RequestedModel = requested,
            FallbackModels = request.Models is { } models ? Array.AsReadOnly(models) : null,
            ServedModel = facts.Model,
            FallbackUsed = fallbackUsed,
            FallbackIndex = fallbackIndex,
            Attempts = facts.RoutingAttempt ?? (facts.RoutingAttemptsCount > 0 ? facts.RoutingAttemptsCount : null),
            RequestedProviders = request.Providers is { } providers ? Array.AsReadOnly(providers) : null,
            Provider = facts.Provider,
            Stream = request.Stream || call.IsEventStream,
            StatusCode = call.StatusCode,
            Outcome = outcome,
            ErrorType = errorType,
            FinishReason = facts.FinishReason,
            HeadersMs = Round(call.HeadersMs),
            TtftMs = Round(call.TtftMs),
            LatencyMs = Round(call.ElapsedMs(endTimestamp)) ?? 0,
            InputTokens = input,
            CachedInputTokens = facts.CachedTokens,
            CacheWriteTokens = facts.CacheWriteTokens,
            OutputTokens = output,
            ReasoningTokens = facts.ReasoningTokens,
            CostUsd = cost,
            CostSource = costSource,
            Routing = call.Routing,
            Warnings = warnings is null ? null : Array.AsReadOnly(warnings.ToArray()),
        };
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

    private static decimal? Estimate(CallState call, long input, long cached, long cacheWrite, long output, long reasoning)
    {
        var model = call.Facts.Model ?? call.Request.RequestedModel;
        return call.Core.Prices.Current.TryGetPrice(model, out var price)
            ? price.Cost(input, cached, cacheWrite, output, reasoning)
            : null;
    }

    private static double? Round(double? ms) => ms is { } v ? Math.Round(v, 3) : null;

    private static string NewLocalId(DateTimeOffset startedAt) =>
#if NET9_0_OR_GREATER
        "llmm-" + Guid.CreateVersion7(startedAt).ToString("N", CultureInfo.InvariantCulture);
#else
        "llmm-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
#endif
}
