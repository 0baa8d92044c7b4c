import { cachedReading, withTimeout } from './scrape-reading';

describe('cachedReading', () => {
  afterEach(() => jest.useRealTimers());

  it('serves one read to every caller within the TTL, then reads again', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    let reads = 0;
    const read = cachedReading(async () => (reads += 1), { ttlMs: 5_000, timeoutMs: 1_000 });
    await expect(Promise.all([read(), read(), read()])).resolves.toEqual([1, 1, 1]);
    jest.setSystemTime(1_004_999);
    await expect(read()).resolves.toBe(1);
    jest.setSystemTime(1_005_000);
    await expect(read()).resolves.toBe(2);
    expect(reads).toBe(2);
  });

  it('gives up a read slower than the timeout, and a late failure is not unhandled', async () => {
    jest.useFakeTimers();
    let fail: (error: Error) => void = () => undefined;
    const slow = new Promise<number>((_, reject) => (fail = reject));
    const reading = withTimeout(slow, 1_000);
    jest.advanceTimersByTime(1_000);
    await expect(reading).rejects.toThrow('read timed out after 1000 ms');
    fail(new Error('connection lost')); // would crash the process if unhandled
    await Promise.resolve();
  });
});
