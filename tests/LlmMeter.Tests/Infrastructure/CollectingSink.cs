using System.Collections.Concurrent;
using System.Threading.Channels;

namespace LlmMeter.Tests.Infrastructure;

/// <summary>Keeps every record and lets a test wait for them without sleeping.</summary>
public sealed class CollectingSink : ILlmCallSink
{
    private readonly ConcurrentQueue<LlmCallRecord> _all = new();
    private readonly Channel<LlmCallRecord> _arrivals = Channel.CreateUnbounded<LlmCallRecord>();

    public IReadOnlyList<LlmCallRecord> Records => [.. _all];

    public void Record(LlmCallRecord call)
    {
        _all.Enqueue(call);
        _arrivals.Writer.TryWrite(call);
    }

    /// <summary>Waits for the next record not yet taken (10 s at most, then fails).</summary>
    public async Task<LlmCallRecord> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _arrivals.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No record arrived; {_all.Count} so far.");
        }
    }

    /// <summary>Waits for the first record and checks that it is the only one.</summary>
    public async Task<LlmCallRecord> SingleAsync()
    {
        var record = await NextAsync();
        Assert.Single(_all);
        return record;
    }
}
