namespace LlmMeter.Tests.Responses;

/// <summary>
/// Responses API shapes (<c>POST /api/v1/responses</c>) as OpenRouter documents them: the answer's <c>usage</c> has
/// <c>input_tokens</c>, <c>input_tokens_details.cached_tokens</c>, <c>output_tokens</c>,
/// <c>output_tokens_details.reasoning_tokens</c> and OpenRouter's <c>cost</c>; streams are typed events whose
/// terminal one (<c>response.completed</c>, <c>.failed</c>, <c>.incomplete</c>) carries the whole response.
/// </summary>
public static class ResponsesSamples
{
    public const string Model = "openai/o4-mini";
    public const string ServedModel = "openai/o4-mini-2025-04-16";
    public const string Id = "gen-1785180000-Rz8kPq3LmN0vXw2Yt5Ab";

    public const string Request = """{"model":"openai/o4-mini","input":"What is the meaning of life?","max_output_tokens":9000}""";

    public const string StreamRequest =
        """{"model":"openai/o4-mini","instructions":"Be brief.","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Say hello."}]}],"stream":true}""";

    public const string MessageOutput =
        """{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello world","annotations":[]}]}""";

    public const string ReasoningOutput = """{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Greeting."}]}""";

    public const string FunctionCallOutput =
        """{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}""";

    /// <summary>The usage object OpenRouter adds to a response (cost included unless <paramref name="cost"/> is null).</summary>
    public static string Usage(int input = 15, int cached = 0, int output = 212, int reasoning = 192, string? cost = "0.0009493") =>
        $$"""{"input_tokens":{{input}},"input_tokens_details":{"cached_tokens":{{cached}}},"output_tokens":{{output}},"output_tokens_details":{"reasoning_tokens":{{reasoning}}},"total_tokens":{{input + output}}{{(cost is null ? "" : ",\"cost\":" + cost + ",\"is_byok\":false,\"cost_details\":{\"upstream_inference_cost\":null}")}}}""";

    /// <summary>A response object; <paramref name="usage"/> is the raw JSON value (<c>null</c> while in progress).</summary>
    public static string Response(
        string status = "completed",
        string usage = "null",
        string output = ReasoningOutput + "," + MessageOutput,
        string error = "null",
        string incomplete = "null",
        string model = ServedModel,
        string id = Id,
        string? provider = "OpenAI",
        string? routing = null) =>
        $$"""{"id":"{{id}}","object":"response","created_at":1785180000,"model":"{{model}}",{{(provider is null ? "" : "\"provider\":\"" + provider + "\",")}}"status":"{{status}}","output":[{{output}}],"error":{{error}},"incomplete_details":{{incomplete}},"instructions":null,"metadata":{},"parallel_tool_calls":true,"temperature":null,"tool_choice":"auto","tools":[],"top_p":null,{{(routing is null ? "" : routing + ",")}}"usage":{{usage}}}""";

    /// <summary>o4-mini failed at Azure and served by OpenAI: a provider failover.</summary>
    public static readonly string FailoverRouting = Record.RoutingTranscripts.Metadata(Model, "direct", 2, ("Azure", Model, 502), ("OpenAI", Model, 200));

    /// <summary>A <c>models</c> list whose first model (o3) failed: o4-mini served, a model fallback.</summary>
    public static readonly string FallbackRouting = Record.RoutingTranscripts.Metadata("openai/o3", "fallback", 2, ("OpenAI", "openai/o3", 503), ("OpenAI", Model, 200));

    /// <summary>A request whose <c>models</c> list puts o3 first.</summary>
    public const string FallbackStreamRequest =
        """{"model":"openai/o3","models":["openai/o3","openai/o4-mini"],"input":"Say hello.","stream":true}""";

    /// <summary>A non-streamed, completed answer.</summary>
    public static string Answer(string? cost = "0.0009493", int cached = 0, string output = ReasoningOutput + "," + MessageOutput, string? provider = "OpenAI") =>
        Response(usage: Usage(cached: cached, cost: cost), output: output, provider: provider);

    public static string FailedAnswer(string code = "server_error") =>
        Response(status: "failed", usage: Usage(output: 0, reasoning: 0, cost: null), output: "",
            error: $$"""{"code":"{{code}}","message":"The model failed to generate a response."}""");

    public static string IncompleteAnswer(string reason = "max_output_tokens") =>
        Response(status: "incomplete", usage: Usage(output: 16, reasoning: 16), output: ReasoningOutput,
            incomplete: $$"""{"reason":"{{reason}}"}""");

    /// <summary>
    /// A whole stream: <c>response.created</c>, reasoning and text deltas, the <c>.done</c> events that repeat the text,
    /// and a terminal event. OpenAI writes an <c>event:</c> line before each <c>data:</c>; OpenRouter's own keep-alive
    /// comments may come between events.
    /// </summary>
    public static string Stream(
        string terminal = "completed",
        string newline = "\n",
        bool eventLines = false,
        bool done = false,
        string? usage = null,
        string? terminalResponse = null)
    {
        var seq = 0;
        var events = new List<string>
        {
            ": OPENROUTER PROCESSING",
            Event(eventLines, "response.created", $$"""{"type":"response.created","response":{{Response(status: "in_progress", output: "")}},"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.in_progress", $$"""{"type":"response.in_progress","response":{{Response(status: "in_progress", output: "")}},"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.output_item.added", $$"""{"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[]},"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.reasoning_summary_text.delta", $$"""{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Greeting.","sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.output_item.done", $$"""{"type":"response.output_item.done","output_index":0,"item":{{ReasoningOutput}},"sequence_number":{{seq++}}}"""),
            ": OPENROUTER PROCESSING",
            Event(eventLines, "response.output_item.added", $$"""{"type":"response.output_item.added","output_index":1,"item":{"type":"message","id":"msg_1","status":"in_progress","role":"assistant","content":[]},"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.content_part.added", $$"""{"type":"response.content_part.added","item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]},"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.output_text.delta", $$"""{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hello","logprobs":[],"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.output_text.delta", $$"""{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":" world","logprobs":[],"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.output_text.done", $$"""{"type":"response.output_text.done","item_id":"msg_1","output_index":1,"content_index":0,"text":"Hello world","logprobs":[],"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.content_part.done", $$"""{"type":"response.content_part.done","item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"Hello world","annotations":[]},"sequence_number":{{seq++}}}"""),
            Event(eventLines, "response.output_item.done", $$"""{"type":"response.output_item.done","output_index":1,"item":{{MessageOutput}},"sequence_number":{{seq++}}}"""),
        };

        var final = terminalResponse ?? terminal switch
        {
            "completed" => Response(usage: usage ?? Usage(input: 21, cached: 8, output: 30, reasoning: 27, cost: "0.0001452")),
            "incomplete" => Response(status: "incomplete", usage: usage ?? Usage(input: 21, output: 16, reasoning: 16, cost: "0.0000935"), output: ReasoningOutput, incomplete: """{"reason":"max_output_tokens"}"""),
            _ => Response(status: "failed", usage: usage ?? "null", output: "", error: """{"code":"server_error","message":"The model failed to generate a response."}"""),
        };
        events.Add(Event(eventLines, "response." + terminal, $$"""{"type":"response.{{terminal}}","response":{{final}},"sequence_number":{{seq}}}"""));
        if (done)
        {
            events.Add("data: [DONE]");
        }

        return string.Join(newline + newline, events.Select(e => e.Replace("\n", newline, StringComparison.Ordinal))) + newline + newline;
    }

    /// <summary>A stream that calls a function: argument deltas, then a completed response whose output is the call.</summary>
    public static string ToolCallStream() => Lines(
        $$"""data: {"type":"response.created","response":{{Response(status: "in_progress", output: "")}},"sequence_number":0}""",
        """data: {"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"","status":"in_progress"},"sequence_number":1}""",
        """data: {"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"city\":","sequence_number":2}""",
        """data: {"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"\"Paris\"}","sequence_number":3}""",
        """data: {"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":0,"arguments":"{\"city\":\"Paris\"}","sequence_number":4}""",
        $$"""data: {"type":"response.output_item.done","output_index":0,"item":{{FunctionCallOutput}},"sequence_number":5}""",
        $$"""data: {"type":"response.completed","response":{{Response(usage: Usage(input: 40, output: 18, reasoning: 0, cost: "0.0001232"), output: FunctionCallOutput)}},"sequence_number":6}""");

    /// <summary>An OpenAI-style <c>error</c> event after the first delta; the stream then ends.</summary>
    public static string ErrorEventStream(string code = "rate_limit_exceeded") => Lines(
        $$"""data: {"type":"response.created","response":{{Response(status: "in_progress", output: "")}},"sequence_number":0}""",
        """data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel","sequence_number":1}""",
        $$"""data: {"sequence_number":2,"message":"Rate limit reached for requests","param":null,"code":"{{code}}","type":"error"}""");

    /// <summary>OpenRouter's own mid-stream error chunk (as on chat completions) after the first delta.</summary>
    public static string OpenRouterErrorChunkStream() => Lines(
        $$"""data: {"type":"response.created","response":{{Response(status: "in_progress", output: "")}},"sequence_number":0}""",
        """data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel","sequence_number":1}""",
        """data: {"error":{"code":502,"message":"Provider returned error","metadata":{"error_type":"provider_error"}}}""");

    public const string InsufficientCredits =
        """{"error":{"code":402,"message":"This request requires more credits, or fewer max_tokens.","metadata":{"provider_name":null}}}""";

    /// <summary>Every response fixture: name, HTTP status, whether it is a stream, body.</summary>
    public static TheoryData<string, int, bool, string> All() => new()
    {
        { "json-completed", 200, false, Answer() },
        { "json-no-cost", 200, false, Answer(cost: null, cached: 5) },
        { "json-failed", 200, false, FailedAnswer() },
        { "json-incomplete", 200, false, IncompleteAnswer() },
        { "json-402", 402, false, InsufficientCredits },
        { "sse-completed", 200, true, Stream() },
        { "sse-completed-crlf-event-lines-done", 200, true, Stream(newline: "\r\n", eventLines: true, done: true) },
        { "sse-incomplete", 200, true, Stream(terminal: "incomplete") },
        { "sse-failed", 200, true, Stream(terminal: "failed") },
        { "sse-tool-call", 200, true, ToolCallStream() },
        { "sse-error-event", 200, true, ErrorEventStream() },
        { "sse-openrouter-error", 200, true, OpenRouterErrorChunkStream() },
        { "json-provider-failover", 200, false, Response(usage: Usage(), routing: FailoverRouting) },
        { "sse-model-fallback", 200, true, Stream(terminalResponse: Response(usage: Usage(input: 21, output: 30, reasoning: 27, cost: "0.0001452"), routing: FallbackRouting)) },
    };

    private static string Event(bool eventLines, string type, string data) =>
        eventLines ? "event: " + type + "\ndata: " + data : "data: " + data;

    private static string Lines(params string[] events) => string.Join("\n\n", events) + "\n\n";
}
