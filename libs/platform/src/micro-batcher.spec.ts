import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('gathers items submitted in the same turn into one batch and answers each its own result', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((n) => n * 10);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const results = await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('caps batch size and in-flight batches; items waiting join the next batch', async () => {
    const batches: number[][] = [];
    let running = 0;
    let maxRunning = 0;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        batches.push(items);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return items;
      },
      { maxBatch: 2, maxInFlight: 2 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.submit(n)));
    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(maxRunning).toBe(2);
    expect(batches.every((batch) => batch.length <= 2)).toBe(true);
    expect(batches.flat().sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects every item of a batch that fails, and keeps serving later batches', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        if (fail) throw new Error('boom');
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.submit(3)).resolves.toBe(3);
  });

  it('rejects when the batch answers the wrong number of results', async () => {
    const batcher = new MicroBatcher<number, number>(async () => [], {
      maxBatch: 10,
      maxInFlight: 1,
    });
    await expect(batcher.submit(1)).rejects.toThrow('answered 0 results');
  });
});
