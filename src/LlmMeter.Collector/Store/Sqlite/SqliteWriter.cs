using System.Threading.Channels;

namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>
/// The single writer. Callers queue requests on a channel; one loop drains whatever is queued (up to
/// <see cref="MaxBatchRecords"/>) into ONE transaction, so concurrent ingests share a commit and its fsync.
/// Each request completes only after its transaction committed.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    /// <summary>The most records one transaction takes (a single larger request still goes alone).</summary>
    public const int MaxBatchRecords = 20_000;

    private readonly Channel<WriteRequest> _queue = Channel.CreateUnbounded<WriteRequest>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly Func<CancellationToken, Task<SqliteWriteSession>> _openSession;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _transactions;

    /// <param name="openSession">Opens the write connection (after the schema is ready); called on first use and after a failure to open.</param>
    /// <param name="logger">Where failed batches are reported.</param>
    public SqliteWriter(Func<CancellationToken, Task<SqliteWriteSession>> openSession, ILogger logger)
    {
        _openSession = openSession;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many write transactions committed or failed so far (shows how well requests were batched).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Queues the request and waits for its commit. Cancelling stops the wait, not the write.</summary>
    public async Task<T> SubmitAsync<T>(WriteRequest<T> request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_queue.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(SqliteCallStore), "The store is shut down.");
        }

        return await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking requests, writes those already queued, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteRequest>();
        WriteRequest? carried = null;
        SqliteWriteSession? session = null;
        try
        {
            while (carried is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                var size = 0;
                if (carried is not null)
                {
                    batch.Add(carried);
                    size = carried.Size;
                    carried = null;
                }

                while (reader.TryRead(out var request))
                {
                    if (batch.Count > 0 && size + request.Size > MaxBatchRecords)
                    {
                        carried = request; // first of the next batch
                        break;
                    }

                    batch.Add(request);
                    size += request.Size;
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                if (session is null)
                {
                    try
                    {
                        session = await _openSession(CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        _logger.LogError(ex, "The SQLite store could not open its write connection; {Count} write requests failed", batch.Count);
                        batch.ForEach(r => r.Fail(ex));
                        continue;
                    }
                }

                Write(session, batch);
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    private void Write(SqliteWriteSession session, List<WriteRequest> batch)
    {
        try
        {
            Interlocked.Increment(ref _transactions);
            session.Run(batch);
            batch.ForEach(r => r.Complete());
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            // One bad request must not fail the others queued with it: write each alone.
            _logger.LogWarning(ex, "A batch of {Count} SQLite write requests failed; retrying them one by one", batch.Count);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A SQLite write request failed");
            batch[0].Fail(ex);
            return;
        }

        foreach (var request in batch)
        {
            try
            {
                Interlocked.Increment(ref _transactions);
                session.Run([request]);
                request.Complete();
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "A SQLite write request failed");
                request.Fail(ex);
            }
        }
    }
}
