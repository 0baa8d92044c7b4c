import {
  groupItems,
  groupJobId,
  queueCoversBacklog,
  rescueThresholds,
  rowsToRescue,
} from './queues';

describe('job groups', () => {
  it('splits items into groups of at most max, leaving a lone remainder single', () => {
    const items = Array.from({ length: 9 }, (_, i) => `e${i}`);
    expect(groupItems(items, 4)).toEqual({
      groups: [
        ['e0', 'e1', 'e2', 'e3'],
        ['e4', 'e5', 'e6', 'e7'],
      ],
      single: ['e8'],
    });
    expect(groupItems(items.slice(0, 6), 4)).toEqual({
      groups: [
        ['e0', 'e1', 'e2', 'e3'],
        ['e4', 'e5'],
      ],
      single: [],
    });
    expect(groupItems(['only'], 4)).toEqual({ groups: [], single: ['only'] });
    expect(groupItems([], 4)).toEqual({ groups: [], single: [] });
  });

  it('names a group by its first item and size, so the same group re-added is absorbed', () => {
    expect(groupJobId(['a', 'b', 'c'])).toBe('group-a-3');
    expect(groupJobId(['a', 'b'])).not.toBe(groupJobId(['a', 'b', 'c']));
  });

  it('weighs runnable jobs by the items one can carry when testing backlog coverage', async () => {
    const queue = (waiting: number, active = 0) => ({
      getJobCounts: () => Promise.resolve({ waiting, active, prioritized: 0 }),
    });
    await expect(queueCoversBacklog(queue(3), 3)).resolves.toBe(true);
    await expect(queueCoversBacklog(queue(3), 4)).resolves.toBe(false);
    await expect(queueCoversBacklog(queue(1, 1), 32, 16)).resolves.toBe(true);
    await expect(queueCoversBacklog(queue(1, 1), 33, 16)).resolves.toBe(false);
    await expect(queueCoversBacklog(queue(0), 0, 16)).resolves.toBe(true);
  });
});

describe('rescue', () => {
  it('rescues a row whose own job is stuck active, and a row without a job once lost', async () => {
    const states: Record<string, string> = { 'stuck-1': 'active', 'waiting-0': 'waiting' };
    const queue = { getJobState: (id: string) => Promise.resolve(states[id] ?? 'unknown') };
    const rescued = await rowsToRescue(queue as never, [
      { id: 'stuck', attempts: 1, lost: false },
      { id: 'waiting', attempts: 0, lost: true },
      { id: 'grouped', attempts: 0, lost: false },
      { id: 'gone', attempts: 2, lost: true },
    ]);
    expect(rescued).toEqual([
      { id: 'stuck', attempts: 1, lost: false, rerun: true },
      { id: 'gone', attempts: 2, lost: true, rerun: false },
    ]);
  });

  it('counts a row lost only well after a group carrying it would have run', () => {
    expect(rescueThresholds(30)).toEqual({ overdueSeconds: 65, lostSeconds: 305 });
  });
});
