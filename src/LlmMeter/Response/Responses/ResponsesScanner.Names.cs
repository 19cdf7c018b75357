using System.Text.Json;

namespace LlmMeter.Response.Responses;

/// <summary>The places and key names <see cref="ResponsesScanner"/> follows; every other key is skipped.</summary>
internal sealed partial class ResponsesScanner
{
    private enum Ctx : byte
    {
        Skip,
        Root,
        Response,
        Usage,
        InputDetails,
        OutputDetails,
        Error,
        ErrorMetadata,
        IncompleteDetails,
        Output,
        OutputItem,
        Meta,
        MetaAttempts,
        MetaAttempt,
    }

    private enum Prop : byte
    {
        None,
        Type,
        Delta,
        Code,
        Message,
        Response,
        Item,
        Id,
        Model,
        Provider,
        Status,
        Usage,
        InputTokens,
        OutputTokens,
        Cost,
        InputDetails,
        OutputDetails,
        CachedTokens,
        CacheWriteTokens,
        ReasoningTokens,
        Error,
        Metadata,
        ErrorType,
        ProviderName,
        GenerationId,
        IncompleteDetails,
        Reason,
        Output,
        Meta,
        Strategy,
        Attempt,
        Attempts,
    }

    private enum EventKind : byte
    {
        Other,
        Reasoning,
        Error,
    }

    private static Prop Classify(Ctx ctx, ref Utf8JsonReader reader)
    {
        switch (ctx)
        {
            case Ctx.Root:
                if (reader.ValueTextEquals("type"u8)) return Prop.Type;
                if (reader.ValueTextEquals("delta"u8)) return Prop.Delta;
                if (reader.ValueTextEquals("response"u8)) return Prop.Response;
                if (reader.ValueTextEquals("item"u8)) return Prop.Item;
                if (reader.ValueTextEquals("code"u8)) return Prop.Code;
                if (reader.ValueTextEquals("message"u8)) return Prop.Message;
                return ClassifyResponse(ref reader);
            case Ctx.Response:
                return ClassifyResponse(ref reader);
            case Ctx.Usage:
                if (reader.ValueTextEquals("input_tokens"u8)) return Prop.InputTokens;
                if (reader.ValueTextEquals("output_tokens"u8)) return Prop.OutputTokens;
                if (reader.ValueTextEquals("cost"u8)) return Prop.Cost;
                if (reader.ValueTextEquals("input_tokens_details"u8)) return Prop.InputDetails;
                if (reader.ValueTextEquals("output_tokens_details"u8)) return Prop.OutputDetails;
                return Prop.None;
            case Ctx.InputDetails:
                if (reader.ValueTextEquals("cached_tokens"u8)) return Prop.CachedTokens;
                if (reader.ValueTextEquals("cache_write_tokens"u8)) return Prop.CacheWriteTokens;
                return Prop.None;
            case Ctx.OutputDetails:
                return reader.ValueTextEquals("reasoning_tokens"u8) ? Prop.ReasoningTokens : Prop.None;
            case Ctx.Error:
                if (reader.ValueTextEquals("code"u8)) return Prop.Code;
                if (reader.ValueTextEquals("message"u8)) return Prop.Message;
                if (reader.ValueTextEquals("metadata"u8)) return Prop.Metadata;
                return Prop.None;
            case Ctx.ErrorMetadata:
                if (reader.ValueTextEquals("error_type"u8)) return Prop.ErrorType;
                if (reader.ValueTextEquals("provider_name"u8)) return Prop.ProviderName;
                return reader.ValueTextEquals("generation_id"u8) ? Prop.GenerationId : Prop.None;
            case Ctx.IncompleteDetails:
                return reader.ValueTextEquals("reason"u8) ? Prop.Reason : Prop.None;
            case Ctx.OutputItem:
                return reader.ValueTextEquals("type"u8) ? Prop.Type : Prop.None;
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

    private static Prop ClassifyResponse(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("id"u8)) return Prop.Id;
        if (reader.ValueTextEquals("model"u8)) return Prop.Model;
        if (reader.ValueTextEquals("provider"u8)) return Prop.Provider;
        if (reader.ValueTextEquals("status"u8)) return Prop.Status;
        if (reader.ValueTextEquals("usage"u8)) return Prop.Usage;
        if (reader.ValueTextEquals("error"u8)) return Prop.Error;
        if (reader.ValueTextEquals("incomplete_details"u8)) return Prop.IncompleteDetails;
        if (reader.ValueTextEquals("output"u8)) return Prop.Output;
        if (reader.ValueTextEquals("openrouter_metadata"u8)) return Prop.Meta;
        return Prop.None;
    }
}
