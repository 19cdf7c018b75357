using System.Text;
using LlmMeter.Request;

namespace LlmMeter.Tests.Request;

public sealed class RequestBodyReaderTests
{
    [Fact]
    public void Parse_FullRequest_ReadsModelModelsStreamAndPromptSize()
    {
        var info = RequestBodyReader.Parse(Encoding.UTF8.GetBytes("""
            {"messages":[{"role":"user","content":[{"type":"text","text":"abcd"},{"type":"image_url","image_url":{"url":"data:x"}}]}],
             "provider":{"order":["OpenAI"],"sort":"price"},"tools":[{"type":"function","function":{"name":"f","parameters":{"model":"not-this"}}}],
             "stream":true,"models":["a/b",7,"c/d"],"model":"a/b:free"}
            """));

        Assert.Equal("a/b:free", info.Model);
        Assert.Equal(["a/b", "c/d"], info.Models!);
        Assert.True(info.Stream);
        Assert.Equal(["OpenAI"], info.Providers!);
        Assert.Equal("user".Length + "text".Length + "abcd".Length + "image_url".Length + "data:x".Length, info.PromptChars);
        Assert.Null(info.Warning);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{\"model\":\"a\",")]
    [InlineData("model=a")]
    public void Parse_NotAJsonObject_SaysSo(string body) =>
        Assert.Equal(RequestBodyReader.NotJson, RequestBodyReader.Parse(Encoding.UTF8.GetBytes(body)).Warning);

    [Fact]
    public void Parse_OnlyModels_RequestedModelIsTheFirst()
    {
        var info = RequestBodyReader.Parse("""{"models":["x/first","y/second"]}"""u8);

        Assert.Null(info.Model);
        Assert.Equal("x/first", info.RequestedModel);
    }

    [Theory]
    [InlineData("""{"provider":{"only":["azure","openai"],"order":["openai"]}}""", "openai")]
    [InlineData("""{"provider":{"allow_fallbacks":false,"only":["azure","openai"]}}""", "azure,openai")]
    [InlineData("""{"provider":{"sort":"throughput"}}""", null)]
    [InlineData("""{"provider":"openai"}""", null)]
    public void Parse_ProviderPreferences_OrderWinsOverOnly(string body, string? expected)
    {
        var info = RequestBodyReader.Parse(Encoding.UTF8.GetBytes(body));

        Assert.Equal(expected, info.Providers is { } providers ? string.Join(',', providers) : null);
        Assert.Null(info.Warning);
    }
}
