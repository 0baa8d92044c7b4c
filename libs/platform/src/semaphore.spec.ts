import { Semaphore } from './semaphore';

describe('Semaphore', () => {
  it('never runs more than its permits at once, and serves waiters in order', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: Array<() => void> = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      semaphore.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        return i;
      }),
    );
    // Release the running tasks one by one until all have run.
    while (order.length < 10 || running > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    expect(await Promise.all(tasks)).toEqual([...Array(10).keys()]);
    expect(peak).toBe(3);
    expect(order).toEqual([...Array(10).keys()]);
    expect(semaphore.available).toBe(3);
  });

  it('gives the permit back when the work throws', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(semaphore.available).toBe(1);
    await expect(semaphore.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('refuses fewer than one permit', () => {
    expect(() => new Semaphore(0)).toThrow(/at least one permit/);
    expect(() => new Semaphore(1.5)).toThrow(/at least one permit/);
  });
});
