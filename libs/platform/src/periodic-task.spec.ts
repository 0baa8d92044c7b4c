import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs every interval, skips ticks while a pass is running, and reports failures', async () => {
    let release: () => void = () => undefined;
    let passes = 0;
    const errors: unknown[] = [];
    const task = new PeriodicTask(
      100,
      () => {
        passes += 1;
        if (passes === 2) return Promise.reject(new Error('boom'));
        return new Promise<void>((resolve) => (release = resolve));
      },
      (error) => errors.push(error),
    );
    task.start();
    await jest.advanceTimersByTimeAsync(350);
    expect(passes).toBe(1); // the first pass is still running: ticks skipped
    release();
    await jest.advanceTimersByTimeAsync(100);
    expect(passes).toBe(2);
    expect(errors).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(100);
    expect(passes).toBe(3);
    const stopped = task.stop();
    release();
    await stopped;
    await jest.advanceTimersByTimeAsync(500);
    expect(passes).toBe(3);
  });
});
