/**
 * Runs a group job's items (a `send-group`, a `process-group`) each to its end, then
 * settles: if any threw, the first error is rethrown so the job fails and BullMQ retries
 * it (items already finished are skipped by their claims on the retry); otherwise it
 * answers a tally of the items' outcomes for the job's return value, e.g. `done 15, queued 1`.
 * `null` outcomes (nothing to do: the item was no longer claimable) count as `skipped`.
 */
export async function runGroup(
  itemIds: readonly string[],
  run: (itemId: string) => Promise<string | null>,
): Promise<string> {
  const results = await Promise.allSettled(itemIds.map((id) => run(id)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const tally = new Map<string, number>();
  for (const r of results as Array<PromiseFulfilledResult<string | null>>) {
    const key = r.value ?? 'skipped';
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return [...tally].map(([outcome, n]) => `${outcome} ${n}`).join(', ');
}
