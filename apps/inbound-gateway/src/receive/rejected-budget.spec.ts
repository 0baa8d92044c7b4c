import Redis from 'ioredis';
import { RejectedBudget } from './rejected-budget';

/**
 * The fail-closed side of the shared budget: with Redis not connected (a real client that
 * never connects, not a mock), each process stores only its small local budget.
 */
describe('RejectedBudget without Redis', () => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  const budget = new RejectedBudget(redis, {
    maxBytes: 1_000_000,
    localMaxBytes: 3000,
    maxEventsCeiling: 60,
    prefix: 'test',
  });

  afterAll(() => redis.disconnect());

  it('stores no more than the local byte budget per endpoint and minute', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 5);
    const taken: boolean[] = [];
    for (let i = 0; i < 10; i += 1) taken.push(await budget.take('e1', 60, 1000, now));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(await budget.take('e2', 60, 1000, now)).toBe(true);
    expect(await budget.take('e1', 60, 1000, now + 60_000)).toBe(true);
  });

  it('keeps the event ceiling and the endpoint count, and refuses a single oversized request', async () => {
    const now = Date.UTC(2026, 0, 1, 13, 0, 5);
    expect(await budget.take('e3', 0, 10, now)).toBe(false);
    expect(await budget.take('e4', 1, 10, now)).toBe(true);
    expect(await budget.take('e4', 1, 10, now)).toBe(false);
    expect(await budget.take('e5', 60, 2_000_000, now)).toBe(false);
  });
});
