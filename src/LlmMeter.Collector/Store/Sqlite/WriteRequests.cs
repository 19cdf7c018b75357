namespace LlmMeter.Collector.Store.Sqlite;

/// <summary>One unit of work for the single writer. It is completed only after the transaction holding it commits.</summary>
internal abstract class WriteRequest
{
    /// <summary>How many rows it writes, to cap a batch.</summary>
    public abstract int Size { get; }

    /// <summary>Runs inside the writer's open transaction. It may run again (alone) if its batch failed.</summary>
    public abstract void Apply(SqliteWriteSession session);

    /// <summary>Called after COMMIT.</summary>
    public abstract void Complete();

    public abstract void Fail(Exception exception);
}

/// <summary>A write request whose caller awaits a <typeparamref name="T"/>.</summary>
internal abstract class WriteRequest<T> : WriteRequest
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public sealed override void Complete() => _completion.TrySetResult(Result());

    public sealed override void Fail(Exception exception) => _completion.TrySetException(exception);

    protected abstract T Result();
}

/// <summary>Stores the new records of one ingest call.</summary>
internal sealed class InsertRequest(IReadOnlyList<StoredCall> calls) : WriteRequest<IngestResult>
{
    private readonly List<LlmCallRecord> _accepted = new(calls.Count);

    public override int Size => calls.Count;

    public override void Apply(SqliteWriteSession session)
    {
        _accepted.Clear();
        foreach (var call in calls)
        {
            if (session.Insert(call))
            {
                _accepted.Add(call.Record);
            }
        }
    }

    protected override IngestResult Result() => new(_accepted.ToArray(), calls.Count - _accepted.Count);
}

/// <summary>Sets a record's authoritative cost; true when it changed something.</summary>
internal sealed class ReconcileRequest(string id, decimal costUsd) : WriteRequest<bool>
{
    private bool _applied;

    public override int Size => 1;

    public override void Apply(SqliteWriteSession session) => _applied = session.Reconcile(id, costUsd);

    protected override bool Result() => _applied;
}

/// <summary>Runs a caller's SQL in the writer's transaction (see <see cref="SqliteCallStore.WriteAsync{T}"/>).</summary>
internal sealed class DelegateWriteRequest<T>(Func<SqliteWriteSession, T> apply) : WriteRequest<T>
{
    private T? _result;

    public override int Size => 1;

    public override void Apply(SqliteWriteSession session) => _result = apply(session);

    protected override T Result() => _result!;
}

/// <summary>Stops looking up a record's cost; true when it was pending.</summary>
internal sealed class GiveUpRequest(string id) : WriteRequest<bool>
{
    private bool _applied;

    public override int Size => 1;

    public override void Apply(SqliteWriteSession session) => _applied = session.GiveUp(id);

    protected override bool Result() => _applied;
}
