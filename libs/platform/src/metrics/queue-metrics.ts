import type { Queue } from 'bullmq';
import { Counter, Gauge } from 'prom-client';
import { registry } from './metrics';

/**
 * Queue depth and lag, read from BullMQ when Prometheus scrapes (not on a timer), for the
 * queues an app consumes. One read serves every scrape for CACHE_MS, and a read slower
 * than READ_TIMEOUT_MS is given up, so scrapes can neither hammer Redis nor hang on it.
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

const CACHE_MS = 5_000;
const READ_TIMEOUT_MS = 1_000;

interface QueueSnapshot {
  counts: Record<string, number>;
  lagSeconds: number;
}

const watched = new Map<string, Queue>();
let cache: { at: number; read: Promise<Map<string, QueueSnapshot>> } | null = null;

/** Adds queues to the scrape-time readings; the returned function removes them again. */
export function watchQueues(queues: Queue[]): () => void {
  const keys = queues.map((queue) => {
    const key = `${queue.opts.prefix ?? 'bull'}:${queue.name}`;
    watched.set(key, queue);
    return key;
  });
  cache = null;
  return () => {
    for (const key of keys) watched.delete(key);
    cache = null;
  };
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('queue read timed out')), READ_TIMEOUT_MS);
  });
  work.catch(() => undefined); // a late rejection after the timeout is expected, not unhandled
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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

async function readAll(): Promise<Map<string, QueueSnapshot>> {
  const now = Date.now();
  const result = new Map<string, QueueSnapshot>();
  await Promise.all(
    [...watched.values()].map(async (queue) => {
      try {
        result.set(queue.name, await withTimeout(readQueue(queue, now)));
      } catch {
        queueReadErrors.inc({ queue: queue.name });
      }
    }),
  );
  return result;
}

function snapshot(): Promise<Map<string, QueueSnapshot>> {
  const now = Date.now();
  if (!cache || now - cache.at >= CACHE_MS) cache = { at: now, read: readAll() };
  return cache.read;
}

export const queueReadErrors = new Counter({
  name: 'hookgate_queue_read_errors_total',
  help: 'Scrape-time queue readings that failed or timed out (the queue’s series are left out)',
  labelNames: ['queue'] as const,
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: 'hookgate_queue_depth',
  help: 'Jobs per queue and state, read at scrape time (cached 5 s)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    const snapshots = await snapshot();
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
    const snapshots = await snapshot();
    this.reset();
    for (const [queue, { lagSeconds }] of snapshots) this.set({ queue }, lagSeconds);
  },
});
