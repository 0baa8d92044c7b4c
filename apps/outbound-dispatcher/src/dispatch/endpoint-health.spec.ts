import type { DispatcherEndpointsRepository } from '@app/persistence';
import { describeSpan, EndpointHealth } from './endpoint-health';
import type { OutboundEndpointRuntime } from './outbound-endpoint-cache';

describe('describeSpan', () => {
  it.each([
    [59.7, '59 s'],
    [119, '119 s'],
    [660.2, '11 min'],
    [7199, '119 min'],
    [7200, '2 h'],
    [47 * 3600, '47 h'],
    [5 * 86_400 + 60, '5 days'],
  ])('%d seconds read as %s', (seconds, text) => {
    expect(describeSpan(seconds)).toBe(text);
  });
});

describe('EndpointHealth: the reset a success sends', () => {
  const ok = { ok: true, status: 200 };
  const failed = { ok: false, status: 503 };
  let clock: number;
  let repository: {
    recordSuccess: jest.Mock<Promise<void>, [string]>;
    recordFailure: jest.Mock;
    disable: jest.Mock;
  };
  let health: EndpointHealth;

  const endpoint = (id: string) =>
    ({ id, health: { disableAfterSeconds: 600 } }) as unknown as OutboundEndpointRuntime;
  const resets = (id: string) => repository.recordSuccess.mock.calls.filter(([e]) => e === id);

  beforeEach(() => {
    clock = 1_000_000;
    repository = {
      recordSuccess: jest.fn((_endpointId: string) => Promise.resolve()),
      recordFailure: jest.fn(() =>
        Promise.resolve({ consecutiveFailures: 1, failingForSeconds: 0 }),
      ),
      disable: jest.fn(() => Promise.resolve(false)),
    };
    health = new EndpointHealth(
      repository as unknown as DispatcherEndpointsRepository,
      () => undefined,
      { resetEveryMs: 5000, now: () => clock },
    );
  });

  it('resets on the first success even though this process saw no failure', async () => {
    await health.record(endpoint('a'), ok);
    expect(resets('a')).toHaveLength(1);
  });

  it('sends at most one reset per endpoint per interval, however many successes', async () => {
    for (let i = 0; i < 50; i++) {
      await health.record(endpoint('a'), ok);
      clock += 99; // 50 successes over 4.95 s
    }
    expect(resets('a')).toHaveLength(1);
    clock = 1_000_000 + 5000;
    await health.record(endpoint('a'), ok);
    await health.record(endpoint('a'), ok);
    expect(resets('a')).toHaveLength(2);
    // Another endpoint keeps its own interval.
    await health.record(endpoint('b'), ok);
    expect(resets('b')).toHaveLength(1);
    expect(repository.recordSuccess).toHaveBeenCalledTimes(3);
  });

  it('resets right away on the success after a failure this process saw', async () => {
    await health.record(endpoint('a'), ok);
    clock += 100;
    await health.record(endpoint('a'), failed);
    expect(repository.recordFailure).toHaveBeenCalledTimes(1);
    clock += 100;
    await health.record(endpoint('a'), ok);
    await health.record(endpoint('a'), ok);
    expect(resets('a')).toHaveLength(2);
  });

  it('sends one reset for concurrent successes', async () => {
    await Promise.all(Array.from({ length: 10 }, () => health.record(endpoint('a'), ok)));
    expect(resets('a')).toHaveLength(1);
  });

  it('tries again on the next success when the reset failed', async () => {
    repository.recordSuccess.mockRejectedValueOnce(new Error('connection lost'));
    await expect(health.record(endpoint('a'), ok)).rejects.toThrow('connection lost');
    clock += 10;
    await health.record(endpoint('a'), ok);
    clock += 10;
    await health.record(endpoint('a'), ok);
    expect(resets('a')).toHaveLength(2);
  });

  it('remembers a bounded number of endpoints: the oldest forgotten is reset again', async () => {
    for (let i = 0; i <= 10_000; i++) await health.record(endpoint(`e${i}`), ok);
    expect(repository.recordSuccess).toHaveBeenCalledTimes(10_001);
    await health.record(endpoint('e10000'), ok);
    expect(resets('e10000')).toHaveLength(1);
    await health.record(endpoint('e0'), ok);
    expect(resets('e0')).toHaveLength(2);
  });
});
