using System.Text.Json;
using static LlmMeter.Collector.Demo.SimulatedModels;

namespace LlmMeter.Collector.Demo;

/// <summary>One kind of call the demo application makes: who makes it, for what, with which models.</summary>
internal sealed record DemoScenario(string Team, string Feature, string[] Models, bool Stream, string Prompt)
{
    /// <summary>The tags header the handler reads (and removes before the call goes out).</summary>
    public string Tags => $"team={Team},feature={Feature}";

    /// <summary>The request body as the OpenAI SDK would send it, with OpenRouter's <c>models</c> fallbacks when there are several.</summary>
    public byte[] Body()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", Models[0]);
            if (Models.Length > 1)
            {
                json.WriteStartArray("models");
                foreach (var model in Models)
                {
                    json.WriteStringValue(model);
                }

                json.WriteEndArray();
            }

            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "system");
            json.WriteString("content", "You are the assistant of an online shop (LlmMeter demo, simulated).");
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteString("content", Prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteNumber("max_tokens", 800);
            if (Stream)
            {
                json.WriteBoolean("stream", true);
                json.WriteStartObject("stream_options");
                json.WriteBoolean("include_usage", true);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// The demo shop's traffic mix, taken in turn: search answers on Claude with a GPT-4o fallback (streamed) and free
/// suggestions, support chat on GPT-4o (streamed) and summaries on GPT-4o mini, ads copy on Gemini Flash with a
/// fallback and classification on Llama. Search is what the demo budget covers.
/// </summary>
internal static class DemoScenarios
{
    public const string BudgetTeam = "search";

    private static readonly DemoScenario s_answer = new(BudgetTeam, "answer", [Sonnet, Gpt4o], Stream: true, "Which running shoes under $120 ship to Lyon by Friday?");
    private static readonly DemoScenario s_suggest = new(BudgetTeam, "suggest", [LlamaFree], Stream: false, "Suggest three search completions for 'wireless head'.");
    private static readonly DemoScenario s_chat = new("support", "chat", [Gpt4o, Sonnet], Stream: true, "My parcel 7F31 says delivered but it is not here. What can I do?");
    private static readonly DemoScenario s_summarize = new("support", "summarize", [Gpt4oMini], Stream: false, "Summarize this ticket thread in two sentences for the next agent.");
    private static readonly DemoScenario s_copy = new("ads", "copy", [GeminiFlash, Gpt4oMini], Stream: false, "Write a 90-character ad for a waterproof hiking jacket.");
    private static readonly DemoScenario s_classify = new("ads", "classify", [Llama], Stream: false, "Classify this product title into one of 40 categories: 'Trail runner GTX 2'.");

    /// <summary>Ten calls' worth of the mix, in the order they are made.</summary>
    public static readonly IReadOnlyList<DemoScenario> Mix =
        [s_answer, s_chat, s_summarize, s_answer, s_copy, s_suggest, s_answer, s_chat, s_classify, s_summarize];
}
