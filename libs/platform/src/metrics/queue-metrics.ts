import type { Queue } from 'bullmq';
import { Counter, Gauge } from 'prom-client';
import { registry } from './metrics';
import { cachedReading, withTimeout } from './scrape-reading';

/**
 * Queue depth and lag, read from BullMQ when Prometheus scrapes (not on a timer), for the
 * queues an app consumes. One read serves every scrape for 5 s, and a queue whose read takes
 * over a second is left out of that scrape, so scrapes can neither hammer Redis nor hang.
 * Lag is the age of the oldest job that is due and still waiting (0 when none waits); a
 * paused queue keeps its jobs in `waiting`, so its lag grows.
 */
export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'waiting-children',
] as const;

interface QueueSnapshot {
  counts: Record<string, number>;
  lagSeconds: number;
}

const READ_TIMEOUT_MS = 1_000;
const watched = new Map<string, Queue>();

/** Adds queues to the scrape-time readings; the returned function removes them again. */
export function watchQueues(queues: Queue[]): () => void {
  const keys = queues.map((queue) => {
    const key = `${queue.opts.prefix ?? 'bull'}:${queue.name}`;
    watched.set(key, queue);
    return key;
  });
  return () => {
    for (const key of keys) watched.delete(key);
  };
}

async function readQueue(queue: Queue, now: number): Promise<QueueSnapshot> {
  const [counts, oldest] = await Promise.all([
    queue.getJobCounts(...QUEUE_STATES),
    queue.getJobs(['wait'], 0, 0, true),
  ]);
  const job = oldest[0];
  // A delayed job (a retry) becomes due at timestamp + delay, not when it was added.
  const dueAt = job ? job.timestamp + (job.delay ?? 0) : now;
  return { counts, lagSeconds: Math.max(0, (now - dueAt) / 1000) };
}

/** Each queue on its own: one slow or failing queue leaves only its own series out. */
const snapshot = cachedReading(
  async () => {
    const now = Date.now();
    const result = new Map<string, QueueSnapshot>();
    await Promise.all(
      [...watched.values()].map(async (queue) => {
        try {
          result.set(queue.name, await withTimeout(readQueue(queue, now), READ_TIMEOUT_MS));
        } catch {
          queueReadErrors.inc({ queue: queue.name });
        }
      }),
    );
    return result;
  },
  { ttlMs: 5_000, timeoutMs: 2 * READ_TIMEOUT_MS },
);

export const queueReadErrors = new Counter({
  name: 'hookgate_queue_read_errors_total',
  help: 'Scrape-time queue readings that failed or timed out (the queue’s series are left out)',
  labelNames: ['queue'] as const,
  registers: [registry],
  // Read first, so a scrape reports the failures of its own reading.
  async collect() {
    await snapshot().catch(() => undefined);
  },
});

export const queueDepth = new Gauge({
  name: 'hookgate_queue_depth',
  help: 'Jobs per queue and state, read at scrape time (cached 5 s)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    const snapshots = await snapshot().catch(() => new Map<string, QueueSnapshot>());
    this.reset();
    for (const [queue, { counts }] of snapshots) {
      for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
    }
  },
});

export const queueLag = new Gauge({
  name: 'hookgate_queue_lag_seconds',
  help: 'Age of the oldest due job still waiting per queue, read at scrape time (cached 5 s)',
  labelNames: ['queue'] as const,
  registers: [registry],
  async collect() {
    const snapshots = await snapshot().catch(() => new Map<string, QueueSnapshot>());
    this.reset();
    for (const [queue, { lagSeconds }] of snapshots) this.set({ queue }, lagSeconds);
  },
});
