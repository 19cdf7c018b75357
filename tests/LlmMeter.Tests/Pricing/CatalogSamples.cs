using System.Text;
using LlmMeter.Pricing;

namespace LlmMeter.Tests.Pricing;

/// <summary>
/// <c>/api/v1/models</c> entries shaped like real dumps: ids whose canonical slug is not the id plus a date, paid models
/// sharing their slug with a <c>:free</c> variant (in both orders), <c>web_search</c> prices, and (mid-2026) tiered
/// <c>pricing.overrides</c>, one of them with a condition the meter cannot evaluate.
/// </summary>
public static class CatalogSamples
{
    public const string SonnetPrices =
        """{"prompt":"0.000003","completion":"0.000015","request":"0","image":"0.0048","web_search":"0.01","internal_reasoning":"0","input_cache_read":"0.0000003","input_cache_write":"0.00000375"}""";

    public const string Dump2025 =
        $$$"""
        {"data":[
          {"id":"anthropic/claude-sonnet-4.5","canonical_slug":"anthropic/claude-4.5-sonnet-20250929","name":"Anthropic: Claude Sonnet 4.5",
           "context_length":1000000,"pricing":{{{SonnetPrices}}},
           "top_provider":{"context_length":1000000,"max_completion_tokens":64000,"is_moderated":true}},
          {"id":"anthropic/claude-sonnet-4.6","canonical_slug":"anthropic/claude-4.6-sonnet-20260217","name":"Anthropic: Claude Sonnet 4.6",
           "context_length":1000000,"pricing":{{{SonnetPrices}}}},
          {"id":"google/gemini-2.5-flash","canonical_slug":"google/gemini-2.5-flash","context_length":1048576,
           "pricing":{"prompt":"0.0000003","completion":"0.0000025","request":"0","image":"0.001238","web_search":"0","internal_reasoning":"0","input_cache_read":"0.00000003","input_cache_write":"0.0000003833"}},
          {"id":"mistralai/mistral-small-3.1-24b-instruct:free","canonical_slug":"mistralai/mistral-small-3.1-24b-instruct-2503","context_length":128000,
           "pricing":{"prompt":"0","completion":"0","request":"0","image":"0","web_search":"0","internal_reasoning":"0"}},
          {"id":"mistralai/mistral-small-3.1-24b-instruct","canonical_slug":"mistralai/mistral-small-3.1-24b-instruct-2503","context_length":131072,
           "pricing":{"prompt":"0.00000005","completion":"0.0000001","request":"0","image":"0","web_search":"0","internal_reasoning":"0"}},
          {"id":"qwen/qwen3-235b-a22b","canonical_slug":"qwen/qwen3-235b-a22b-04-28","context_length":40960,
           "pricing":{"prompt":"0.00000013","completion":"0.0000006","request":"0","image":"0","web_search":"0","internal_reasoning":"0"}},
          {"id":"qwen/qwen3-235b-a22b:free","canonical_slug":"qwen/qwen3-235b-a22b-04-28","context_length":131072,
           "pricing":{"prompt":"0","completion":"0","request":"0","image":"0","web_search":"0","internal_reasoning":"0"}},
          {"id":"deepseek/deepseek-r1:free","canonical_slug":"deepseek/deepseek-r1","context_length":163840,
           "pricing":{"prompt":"0","completion":"0","request":"0","image":"0","web_search":"0","internal_reasoning":"0"}},
          {"id":"google/gemma-3-27b-it","canonical_slug":"google/gemma-3-27b-it","context_length":131072,
           "pricing":{"prompt":"0.00000009","completion":"0.00000016","request":"0","image":"0.0000256"}},
          {"id":"openrouter/auto","canonical_slug":"openrouter/auto","pricing":{"prompt":"-1","completion":"-1"}}
        ]}
        """;

    public const string Dump2026 =
        """
        {"data":[
          {"id":"google/gemini-2.5-pro","canonical_slug":"google/gemini-2.5-pro","context_length":1048576,
           "pricing":{"prompt":"0.00000125","completion":"0.00001","request":"0","image":"0.00516","web_search":"0","internal_reasoning":"0",
             "input_cache_read":"0.000000125","input_cache_write":"0.000001625",
             "overrides":[{"min_prompt_tokens":200000,"prompt":"0.0000025","completion":"0.000015","input_cache_read":"0.00000025","input_cache_write":"0.000002875"}]}},
          {"id":"openai/gpt-5.4","canonical_slug":"openai/gpt-5.4-20260305","context_length":1050000,
           "pricing":{"prompt":"0.0000025","completion":"0.000015","input_cache_read":"0.00000025","web_search":"0.01",
             "overrides":[{"min_prompt_tokens":272000,"prompt":"0.000005","completion":"0.0000225","input_cache_read":"0.0000005"},
                          {"min_prompt_tokens":"-5","prompt":"0.1","completion":"0.1"}]}},
          {"id":"deepseek/deepseek-v3.2","canonical_slug":"deepseek/deepseek-v3.2-20251201","context_length":163840,
           "pricing":{"prompt":"0.00000028","completion":"0.00000042","input_cache_read":"0.000000028",
             "overrides":[{"utc_days":["saturday","sunday"],"min_prompt_tokens":1,"prompt":"0.00000014","completion":"0.00000021"}]}}
        ]}
        """;

    public static ModelPriceCatalog Parse(string json) => ModelPriceCatalog.Parse(Encoding.UTF8.GetBytes(json));
}
