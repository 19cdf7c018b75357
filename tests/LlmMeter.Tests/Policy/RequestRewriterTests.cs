using System.Text;
using LlmMeter.Policy.Internal;

namespace LlmMeter.Tests.Policy;

public sealed class RequestRewriterTests
{
    private static readonly ModelMapper s_map = ModelMapper.From(new Dictionary<string, string>
    {
        ["openai/gpt-4o"] = "openai/gpt-4o-mini",
        ["anthropic/*"] = "anthropic/claude-3-haiku",
    });

    [Fact]
    public void Rewrite_ModelAndModels_OnlyThoseTokensChange()
    {
        var body = """
            { "messages":[{"role":"user","content":"model: openai/gpt-4o"}], "model" : "openai/gpt-4o",
              "models":["openai/gpt-4o", "anthropic/claude-3.5-sonnet",  "google/gemini-pro"], "tools":[{"model":"openai/gpt-4o"}],
              "stream":true }
            """;

        var rewritten = Encoding.UTF8.GetString(RequestRewriter.Rewrite(Encoding.UTF8.GetBytes(body), s_map)!);

        var expected = body
            .Replace("\"model\" : \"openai/gpt-4o\"", "\"model\" : \"openai/gpt-4o-mini\"", StringComparison.Ordinal)
            .Replace("[\"openai/gpt-4o\", \"anthropic/claude-3.5-sonnet\"", "[\"openai/gpt-4o-mini\", \"anthropic/claude-3-haiku\"", StringComparison.Ordinal);
        Assert.Equal(expected, rewritten);
    }

    [Fact]
    public void Rewrite_EscapedModelValue_IsReplacedWhole()
    {
        var body = "{\"model\":\"openai\\/gpt-4o\",\"x\":1}";

        var rewritten = Encoding.UTF8.GetString(RequestRewriter.Rewrite(Encoding.UTF8.GetBytes(body), s_map)!);

        Assert.Equal("{\"model\":\"openai/gpt-4o-mini\",\"x\":1}", rewritten);
    }

    [Theory]
    [InlineData("""{"model":"google/gemini-pro"}""")]
    [InlineData("""{"model":"openai/gpt-4o-mini"}""")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Rewrite_NothingToMapOrNotJson_ReturnsNull(string body) =>
        Assert.Null(RequestRewriter.Rewrite(Encoding.UTF8.GetBytes(body), s_map));

    [Theory]
    [InlineData("openai/*", "openai/gpt-4o", true)]
    [InlineData("openai/*", "anthropic/claude", false)]
    [InlineData("*", "anything", true)]
    [InlineData("*/gpt-4?", "openai/gpt-4o", true)]
    [InlineData("*/gpt-4?", "openai/gpt-4", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    public void ModelGlob_Patterns_Match(string pattern, string model, bool expected) =>
        Assert.Equal(expected, ModelGlob.Matches(pattern, model));

    [Fact]
    public void ModelMapper_ExactBeforeLongestGlobBeforeStar()
    {
        var mapper = ModelMapper.From(new Dictionary<string, string>
        {
            ["*"] = "any/cheap",
            ["openai/*"] = "openai/gpt-4o-mini",
            ["openai/gpt-4o*"] = "openai/gpt-4o-mini-2",
            ["openai/gpt-4o"] = "exact/choice",
        });

        Assert.Equal("exact/choice", mapper.Map("openai/gpt-4o"));
        Assert.Equal("openai/gpt-4o-mini-2", mapper.Map("openai/gpt-4o-2024"));
        Assert.Equal("openai/gpt-4o-mini", mapper.Map("openai/o1"));
        Assert.Equal("any/cheap", mapper.Map("mistral/large"));
    }
}
