using System.Text.Json;

namespace LlmMeter.Response;

/// <summary>The places and key names <see cref="ResponseScanner"/> follows; every other key is skipped.</summary>
internal sealed partial class ResponseScanner
{
    private enum Ctx : byte
    {
        Skip,
        Root,
        Usage,
        PromptDetails,
        CompletionDetails,
        Choices,
        Choice,
        Delta,
        ToolCalls,
        Error,
        ErrorMetadata,
        Meta,
        MetaAttempts,
        MetaAttempt,
        ServerToolUse,
    }

    private enum Prop : byte
    {
        None,
        Id,
        Model,
        Provider,
        Usage,
        PromptTokens,
        CompletionTokens,
        Cost,
        PromptDetails,
        CompletionDetails,
        CachedTokens,
        CacheWriteTokens,
        ReasoningTokens,
        Choices,
        FinishReason,
        Delta,
        Content,
        ToolCalls,
        Error,
        Code,
        Message,
        Metadata,
        ErrorType,
        Meta,
        Strategy,
        Attempt,
        Attempts,
        ProviderName,
        GenerationId,
        ServerToolUse,
        WebSearchRequests,
    }

    private Prop Classify(Ctx ctx, ref Utf8JsonReader reader)
    {
        switch (ctx)
        {
            case Ctx.Root:
                if (reader.ValueTextEquals("id"u8)) return Prop.Id;
                if (reader.ValueTextEquals("model"u8)) return Prop.Model;
                if (reader.ValueTextEquals("provider"u8)) return Prop.Provider;
                if (reader.ValueTextEquals("usage"u8)) return Prop.Usage;
                if (reader.ValueTextEquals("choices"u8)) return Prop.Choices;
                if (reader.ValueTextEquals("error"u8)) return Prop.Error;
                if (reader.ValueTextEquals("openrouter_metadata"u8)) return Prop.Meta;
                return Prop.None;
            case Ctx.Usage:
                if (reader.ValueTextEquals("prompt_tokens"u8)) return Prop.PromptTokens;
                if (reader.ValueTextEquals("completion_tokens"u8)) return Prop.CompletionTokens;
                if (reader.ValueTextEquals("cost"u8)) return Prop.Cost;
                if (reader.ValueTextEquals("prompt_tokens_details"u8)) return Prop.PromptDetails;
                if (reader.ValueTextEquals("completion_tokens_details"u8)) return Prop.CompletionDetails;
                if (reader.ValueTextEquals("server_tool_use_details"u8)) return Prop.ServerToolUse;
                return Prop.None;
            case Ctx.ServerToolUse:
                return reader.ValueTextEquals("web_search_requests"u8) ? Prop.WebSearchRequests : Prop.None;
            case Ctx.PromptDetails:
                if (reader.ValueTextEquals("cached_tokens"u8)) return Prop.CachedTokens;
                if (reader.ValueTextEquals("cache_write_tokens"u8)) return Prop.CacheWriteTokens;
                return Prop.None;
            case Ctx.CompletionDetails:
                return reader.ValueTextEquals("reasoning_tokens"u8) ? Prop.ReasoningTokens : Prop.None;
            case Ctx.Choice:
                if (reader.ValueTextEquals("finish_reason"u8)) return Prop.FinishReason;
                if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8)) return Prop.Delta;
                return Prop.None;
            case Ctx.Delta:
                if (reader.ValueTextEquals("content"u8)) return Prop.Content;
                if (reader.ValueTextEquals("tool_calls"u8)) return Prop.ToolCalls;
                return Prop.None;
            case Ctx.Error:
                if (reader.ValueTextEquals("code"u8)) return Prop.Code;
                if (reader.ValueTextEquals("message"u8)) return Prop.Message;
                if (reader.ValueTextEquals("metadata"u8)) return Prop.Metadata;
                return Prop.None;
            case Ctx.ErrorMetadata:
                if (reader.ValueTextEquals("error_type"u8)) return Prop.ErrorType;
                if (reader.ValueTextEquals("provider_name"u8)) return Prop.ProviderName;
                if (reader.ValueTextEquals("generation_id"u8)) return Prop.GenerationId;
                if (reader.ValueTextEquals("reasons"u8) || reader.ValueTextEquals("flagged_input"u8))
                {
                    _facts.ErrorHasModerationDetails = true;
                }

                return Prop.None;
            case Ctx.Meta:
                if (reader.ValueTextEquals("strategy"u8)) return Prop.Strategy;
                if (reader.ValueTextEquals("attempt"u8)) return Prop.Attempt;
                if (reader.ValueTextEquals("attempts"u8)) return Prop.Attempts;
                return Prop.None;
            case Ctx.MetaAttempt:
                return reader.ValueTextEquals("model"u8) ? Prop.Model : Prop.None;
            default:
                return Prop.None;
        }
    }
}
