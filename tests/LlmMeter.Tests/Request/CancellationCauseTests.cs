using LlmMeter.Request;
using LlmMeter.Tests.Handler;
using LlmMeter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace LlmMeter.Tests.Request;

/// <summary>HttpClient.Timeout firing inside the handler is a timeout; the caller's own cancellation is an abort.</summary>
public sealed class CancellationCauseTests
{
    private static readonly TimeSpan s_shortTimeout = TimeSpan.FromMilliseconds(300);

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_HttpClientTimeoutBeforeHeaders_RecordedAsTimeout(SendMode mode)
    {
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var release = new TaskCompletionSource();
        openRouter.Handle(ctx => release.Task.WaitAsync(ctx.RequestAborted));
        var sink = new CollectingSink();
        using var http = Metered.Client(openRouter.BaseAddress, sink);
        http.Timeout = s_shortTimeout;

        var ex = await Assert.ThrowsAsync<TaskCanceledException>(() => http.PostAs(mode, "chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}""")));
        release.SetResult();

        Assert.IsType<TimeoutException>(ex.InnerException);
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
        Assert.Equal(LlmErrorType.Timeout, record.ErrorType);
        Assert.Null(record.StatusCode);
        Assert.Equal("openai/gpt-4o", record.RequestedModel);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_HttpClientTimeoutWhileBufferingTheBody_RecordedAsTimeout(SendMode mode)
    {
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var release = new TaskCompletionSource();
        openRouter.Handle(async ctx =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"id":"gen-slow","model":"openai/gpt-4o","choices":[""");
            await ctx.Response.Body.FlushAsync();
            await release.Task.WaitAsync(ctx.RequestAborted);
        });
        var sink = new CollectingSink();
        using var http = Metered.Client(openRouter.BaseAddress, sink);
        http.Timeout = s_shortTimeout;

        var ex = await Assert.ThrowsAsync<TaskCanceledException>(() => http.PostAs(mode, "chat/completions", LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}""")));
        release.SetResult();

        Assert.IsType<TimeoutException>(ex.InnerException);
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.NetworkError, record.Outcome);
        Assert.Equal(LlmErrorType.Timeout, record.ErrorType);
        Assert.Equal(200, record.StatusCode);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_CallerCancels_RecordedAborted(SendMode mode)
    {
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var release = new TaskCompletionSource();
        openRouter.Handle(ctx => release.Task.WaitAsync(ctx.RequestAborted));
        var sink = new CollectingSink();
        using var http = Metered.Client(openRouter.BaseAddress, sink);
        using var caller = new CancellationTokenSource();

        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}""") };
        var call = Task.Run(() => http.SendAs(mode, request, cancellationToken: caller.Token));
        await WaitFor(() => !openRouter.RequestBodies.IsEmpty);
        await caller.CancelAsync();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        release.SetResult();

        Assert.IsNotType<TimeoutException>(ex.InnerException);
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Null(record.ErrorType);
    }

    [Theory]
    [MemberData(nameof(SendModes.Both), MemberType = typeof(SendModes))]
    public async Task Send_CallersOwnDeadline_RecordedAborted(SendMode mode)
    {
        // The caller's token has a timer of its own: still the caller's cancellation, as HttpClient sees it.
        await using var openRouter = await KestrelOpenRouter.StartAsync();
        var release = new TaskCompletionSource();
        openRouter.Handle(ctx => release.Task.WaitAsync(ctx.RequestAborted));
        var sink = new CollectingSink();
        using var http = Metered.Client(openRouter.BaseAddress, sink);
        using var deadline = new CancellationTokenSource(s_shortTimeout);

        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = LlmMeterHandlerTests.Json("""{"model":"openai/gpt-4o"}""") };
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.SendAs(mode, request, cancellationToken: deadline.Token));
        release.SetResult();

        Assert.IsNotType<TimeoutException>(ex.InnerException);
        var record = await sink.SingleAsync();
        Assert.Equal(LlmCallOutcome.Aborted, record.Outcome);
        Assert.Null(record.ErrorType);
    }

    [Fact]
    public async Task IsLinkedTimeout_LinkedSourceCancelledByItsOwnTimer_True()
    {
        using var caller = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(caller.Token, CancellationToken.None);
        linked.CancelAfter(TimeSpan.FromMilliseconds(1));
        await WaitFor(() => linked.IsCancellationRequested);

        Assert.True(CancellationCause.IsLinkedTimeout(linked.Token));
    }

    [Fact]
    public void IsLinkedTimeout_CancelledThroughALinkedToken_False()
    {
        using var caller = new CancellationTokenSource();
        using var pending = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(caller.Token, pending.Token);
        linked.CancelAfter(TimeSpan.FromMinutes(5));

        caller.Cancel();

        Assert.True(linked.IsCancellationRequested);
        Assert.False(CancellationCause.IsLinkedTimeout(linked.Token));
    }

    [Fact]
    public void IsLinkedTimeout_NotLinkedOrNotCancelled_False()
    {
        using var plain = new CancellationTokenSource();
        plain.Cancel();
        using var live = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken.None);

        Assert.False(CancellationCause.IsLinkedTimeout(plain.Token));
        Assert.False(CancellationCause.IsLinkedTimeout(live.Token));
        Assert.False(CancellationCause.IsLinkedTimeout(CancellationToken.None));
        Assert.False(CancellationCause.IsLinkedTimeout(new CancellationToken(canceled: true)));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "Condition not met within 10 s.");
            await Task.Delay(5);
        }
    }
}
