using System.Text;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace LlmMeter.Tests.Request;

/// <summary>A request body that breaks fails the call with the exception the caller gets without the meter.</summary>
public sealed class FailedRequestContentTests
{
    public static TheoryData<SendMode, int> Breaks => new()
    {
        { SendMode.Async, 0 },
        { SendMode.Sync, 0 },
        { SendMode.Async, 20 },
        { SendMode.Sync, 20 },
    };

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task Send_OneShotBodyBreaks_SameExceptionAsWithoutTheMeter(SendMode mode, int bytesBeforeBreak)
    {
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        openRouter.Handle(ctx => ctx.Response.WriteAsync(OpenRouterSamples.Chat("openai/gpt-4o")));
        var sink = new CollectingSink();
        using var bare = new HttpClient(new SocketsHttpHandler()) { BaseAddress = openRouter.BaseAddress };
        using var metered = Metered.Client(openRouter.BaseAddress, sink);

        var expected = await Failure(bare, mode, bytesBeforeBreak);
        var actual = await Failure(metered, mode, bytesBeforeBreak);

        Assert.Equal(Chain(expected), Chain(actual));
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
        Assert.Contains("request_body_not_read", record.Warnings!);
    }

    private static async Task<Exception> Failure(HttpClient client, SendMode mode, int bytesBeforeBreak)
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hello"}]}""");
        var content = new StreamContent(new BreakingStream(body, bytesBeforeBreak));
        return await Xunit.Record.ExceptionAsync(() => client.PostAs(mode, "chat/completions", content))
            ?? throw new Xunit.Sdk.XunitException("A broken request body did not fail the call.");
    }

    private static string Chain(Exception exception)
    {
        var links = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            links.Add($"{e.GetType().FullName}: {e.Message}");
        }

        return string.Join(Environment.NewLine, links);
    }

    /// <summary>A forward-only body that gives <c>goodBytes</c> bytes and then fails, like a dropped upload source.</summary>
    private sealed class BreakingStream(byte[] bytes, int goodBytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= goodBytes)
            {
                throw new IOException("content source is broken");
            }

            var count = Math.Min(buffer.Length, Math.Min(goodBytes, bytes.Length) - _position);
            bytes.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
