import type { Queue } from 'bullmq';
import { InboundEventsJob } from '../queues';
import { INBOUND_EVENT_WORK } from './leased-work';
import { PacedEnqueuer } from './paced-enqueuer';

interface BulkJob {
  name: string;
  data: { eventId?: string; eventIds?: string[] };
}

function fakeQueue(): { queue: Queue; calls: BulkJob[][] } {
  const calls: BulkJob[][] = [];
  const queue = {
    addBulk: (jobs: BulkJob[]) => {
      calls.push(jobs);
      return Promise.resolve([]);
    },
  } as unknown as Queue;
  return { queue, calls };
}

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `e${from + i}`);
const eventIdsOf = (jobs: BulkJob[]) =>
  jobs.flatMap((job) => job.data.eventIds ?? [job.data.eventId!]);

describe('PacedEnqueuer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends a lone event on the next turn when nothing was sent lately', () => {
    const { queue, calls } = fakeQueue();
    const enqueuer = new PacedEnqueuer(INBOUND_EVENT_WORK, queue, () => undefined, 20);
    enqueuer.enqueue('e0');
    expect(calls).toHaveLength(0);
    jest.advanceTimersByTime(0);
    expect(calls).toEqual([
      [{ name: InboundEventsJob.Process, data: { eventId: 'e0' }, opts: expect.anything() }],
    ]);
  });

  it('gathers ids that arrive within the interval after a send into one addBulk', () => {
    const { queue, calls } = fakeQueue();
    const enqueuer = new PacedEnqueuer(INBOUND_EVENT_WORK, queue, () => undefined, 20);
    enqueuer.enqueue('first');
    jest.advanceTimersByTime(0);
    expect(calls).toHaveLength(1);

    for (const id of ids(10)) enqueuer.enqueue(id);
    jest.advanceTimersByTime(5);
    for (const id of ids(10, 10)) enqueuer.enqueue(id);
    jest.advanceTimersByTime(10);
    expect(calls).toHaveLength(1);

    jest.advanceTimersByTime(5);
    expect(calls).toHaveLength(2);
    const jobs = calls[1]!;
    expect(eventIdsOf(jobs)).toEqual(ids(20));
    expect(jobs.map((job) => [job.name, job.data.eventIds?.length])).toEqual([
      [InboundEventsJob.ProcessGroup, 16],
      [InboundEventsJob.ProcessGroup, 4],
    ]);
  });

  it('sends again at once after a quiet gap longer than the interval', () => {
    const { queue, calls } = fakeQueue();
    const enqueuer = new PacedEnqueuer(INBOUND_EVENT_WORK, queue, () => undefined, 20);
    enqueuer.enqueue('a');
    jest.advanceTimersByTime(0);
    jest.advanceTimersByTime(50);
    enqueuer.enqueue('b');
    jest.advanceTimersByTime(0);
    expect(calls.map(eventIdsOf)).toEqual([['a'], ['b']]);
  });

  it('reports a failed addBulk instead of throwing', async () => {
    const failure = new Error('redis down');
    const queue = { addBulk: () => Promise.reject(failure) } as unknown as Queue;
    const errors: unknown[] = [];
    const enqueuer = new PacedEnqueuer(
      INBOUND_EVENT_WORK,
      queue,
      (error) => errors.push(error),
      20,
    );
    enqueuer.enqueue('e0');
    jest.advanceTimersByTime(0);
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toEqual([failure]);
  });

  it('drain sends what waits for the interval at once and waits for Redis', async () => {
    const { queue, calls } = fakeQueue();
    const enqueuer = new PacedEnqueuer(INBOUND_EVENT_WORK, queue, () => undefined, 20);
    enqueuer.enqueue('a');
    jest.advanceTimersByTime(0);
    enqueuer.enqueue('b');
    enqueuer.enqueue('c');
    await enqueuer.drain();
    expect(calls.map(eventIdsOf)).toEqual([['a'], ['b', 'c']]);
    jest.advanceTimersByTime(100);
    expect(calls).toHaveLength(2);
  });
});
