import type { Queue } from 'bullmq';
import { DeliveryQueue } from './leased-queue';

/** A stand-in for the BullMQ queue that records what would be added (no Redis involved). */
function recordingQueue(states: Record<string, string> = {}, counts = { waiting: 0 }) {
  const added: Array<{ name: string; data: unknown; opts: { jobId: string; delay?: number } }> = [];
  const queue = {
    addBulk: (jobs: typeof added) => {
      added.push(...jobs);
      return Promise.resolve([]);
    },
    getJobState: (id: string) => Promise.resolve(states[id] ?? 'unknown'),
    getJobCounts: () => Promise.resolve(counts),
  };
  return { queue: queue as unknown as Queue, added };
}

const ids = (n: number, from = 0) =>
  Array.from(
    { length: n },
    (_, i) => `00000000-0000-0000-0000-${String(from + i).padStart(12, '0')}`,
  );

describe('DeliveryQueue', () => {
  it('groups first attempts due now, up to the group size, and keeps the rest single', async () => {
    const { queue, added } = recordingQueue();
    const fresh = ids(9);
    await new DeliveryQueue(queue, undefined, 4).enqueue([
      ...fresh.map((id) => ({ id })),
      { id: 'retry', attempts: 2, delayMs: 5000 },
      { id: 'rerun', attempts: 1, rerun: true },
      { id: 'later', delayMs: 1000 },
    ]);
    const groups = added.filter((j) => j.name === 'send-group');
    expect(groups.map((j) => (j.data as { deliveryIds: string[] }).deliveryIds)).toEqual([
      fresh.slice(0, 4),
      fresh.slice(4, 8),
    ]);
    expect(groups.map((j) => j.opts.jobId)).toEqual([`group-${fresh[0]}-4`, `group-${fresh[4]}-4`]);
    const single = added.filter((j) => j.name === 'send');
    expect(single.map((j) => j.opts.jobId)).toEqual([
      `${fresh[8]}-0`,
      'retry-2',
      expect.stringMatching(/^rerun-1-r/),
      'later-0',
    ]);
    expect(single.find((j) => j.opts.jobId === 'retry-2')?.opts.delay).toBe(5000);
    // Every delivery is carried by exactly one job.
    const carried = added.flatMap((j) =>
      j.name === 'send-group'
        ? (j.data as { deliveryIds: string[] }).deliveryIds
        : [(j.data as { deliveryId: string }).deliveryId],
    );
    expect(carried.sort()).toEqual([...fresh, 'retry', 'rerun', 'later'].sort());
  });

  it('gives a lone first attempt its own job, whose id the reconciler can find', async () => {
    const { queue, added } = recordingQueue();
    await new DeliveryQueue(queue).enqueue([{ id: 'only' }]);
    expect(added).toEqual([
      { name: 'send', data: { deliveryId: 'only' }, opts: { jobId: 'only-0', delay: undefined } },
    ]);
  });

  it('gathers enqueues made at the same moment, so concurrent intakes share a group', async () => {
    const { queue, added } = recordingQueue();
    const deliveries = new DeliveryQueue(queue);
    const fresh = ids(3);
    await Promise.all(fresh.map((id) => deliveries.enqueue([{ id }])));
    expect(added).toEqual([
      {
        name: 'send-group',
        data: { deliveryIds: fresh },
        opts: { jobId: `group-${fresh[0]}-3` },
      },
    ]);
  });

  it('rescues rows whose own job is stuck active, and rows without a job once they are lost', async () => {
    const { queue, added } = recordingQueue({ 'stuck-1': 'active', 'waiting-0': 'waiting' });
    const rescued = await new DeliveryQueue(queue).rescueStalled([
      { id: 'stuck', attempts: 1, lost: false },
      { id: 'waiting', attempts: 0, lost: true },
      // No job of its own: maybe waiting in a send-group, so left alone until lost.
      { id: 'grouped', attempts: 0, lost: false },
      { id: 'gone', attempts: 2, lost: true },
    ]);
    expect(rescued).toBe(2);
    expect(added.map((j) => j.opts.jobId)).toEqual([expect.stringMatching(/^stuck-1-r/), 'gone-2']);
  });

  it('counts each runnable job as a full group when asked whether the queue covers the backlog', async () => {
    const covers = (waiting: number, due: number) =>
      new DeliveryQueue(recordingQueue({}, { waiting }).queue, undefined, 16).coversBacklog(due);
    await expect(covers(2, 32)).resolves.toBe(true);
    await expect(covers(2, 33)).resolves.toBe(false);
    await expect(covers(0, 1)).resolves.toBe(false);
    await expect(covers(0, 0)).resolves.toBe(true);
  });
});
