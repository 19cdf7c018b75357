namespace LlmMeter.Collector.Store;

/// <summary>One row of the budget ledger: a budget and the start of one of its periods (epoch ms, UTC).</summary>
internal readonly record struct SpendKey(string BudgetId, long PeriodStartMs);

/// <summary>
/// Budget spend kept in step with the records. The store's single writer calls it, inside the transaction that
/// accepts records, for every newly stored record and every reconciled cost difference, and upserts the charges it
/// returns into <c>budget_spend</c> in that same transaction: spend is never rebuilt by rescanning. All calls come
/// from the writer's one thread of work, in transaction order.
/// </summary>
internal interface ISpendLedger
{
    /// <summary>
    /// Adds to <paramref name="charges"/> the budget periods <paramref name="record"/> counts in, each with <paramref name="units"/>
    /// (1e-10 USD, may be negative). Sums are <see cref="Int128"/>: a thousand records of a million dollars already leave 64 bits.
    /// </summary>
    void Charge(LlmCallRecord record, long units, Dictionary<SpendKey, Int128> charges);

    /// <summary>
    /// After COMMIT. <paramref name="totals"/>: the ledger rows the transaction wrote, with their new totals;
    /// <paramref name="cleared"/>: budgets whose rows were all deleted before that. Must not throw.
    /// </summary>
    void Committed(IReadOnlyDictionary<SpendKey, Int128> totals, IReadOnlyCollection<string> cleared);

    /// <summary>After a ROLLBACK: forget what the transaction staged.</summary>
    void RolledBack();
}
