import { Queue } from 'bullmq';
import { HookgatePublisher, QueueName } from '@app/messaging';
import { query } from '../../support/database';
import type { Sink } from '../../support/sink';
import { waitFor } from '../../support/wait';
import { sleep } from './load';
import { sized } from './profile';
import type { Stack } from './stack';

/**
 * Backend services publishing on `outbound-requests` the two ways a service can: through
 * `HookgatePublisher` (its job options) and through a bare BullMQ `Queue.add('deliver')`
 * with BullMQ's default options (one attempt, failed jobs kept). Each request carries a
 * unique `key` in its payload, which the sink and the delivery rows are counted by.
 *
 * A service retries an add that failed (Redis unreachable) until Redis acknowledges it,
 * with the same idempotency key, as a real one would; only acknowledged keys are counted
 * as sent. A retried add may have reached Redis after all: the idempotency key makes the
 * dispatcher create one delivery for both jobs.
 */
export type Via = 'publisher' | 'raw';

export class Publishers {
  readonly publisher: HookgatePublisher;
  readonly raw: Queue;
  /** Keys Redis acknowledged, by how they were sent. */
  readonly acknowledged = new Map<string, Via>();
  /** Adds that failed and were retried. */
  retriedAdds = 0;

  constructor(
    redisUrl: string,
    private readonly endpoint: string,
    /** The raw producer sends no idempotency key (the intake derives one from the job). */
    private readonly rawIdempotencyKey: boolean,
  ) {
    const prefix = process.env.QUEUE_PREFIX ?? 'hgchaos';
    this.publisher = new HookgatePublisher({ redisUrl, prefix });
    this.raw = new Queue(QueueName.OutboundRequests, { connection: { url: redisUrl }, prefix });
    this.raw.on('error', () => undefined);
  }

  async send(key: string, via: Via): Promise<void> {
    for (;;) {
      try {
        if (via === 'publisher') {
          await this.publisher.deliver({
            endpoint: this.endpoint,
            payload: { key },
            idempotencyKey: key,
          });
        } else {
          await this.raw.add('deliver', {
            endpoint: this.endpoint,
            payload: { key },
            ...(this.rawIdempotencyKey ? { idempotencyKey: key } : {}),
          });
        }
        this.acknowledged.set(key, via);
        return;
      } catch {
        this.retriedAdds += 1;
        await sleep(250);
      }
    }
  }

  /** Requests in the failed set of `outbound-requests` (raw jobs keep theirs there). */
  async failedJobs(): Promise<number> {
    return (await this.raw.getJobCounts('failed')).failed;
  }

  async close(): Promise<void> {
    await this.publisher.close();
    await this.raw.close();
  }
}

export interface PublishTally {
  /** Acknowledged keys with no `done` delivery or no sink hit. */
  lost: string[];
  /** Keys the sink received more than once. */
  repeatedAtSink: string[];
  /** Keys with more than one delivery row. */
  duplicateRows: string[];
  sinkHits: number;
  rows: number;
  done: number;
  byState: Record<string, number>;
}

/** Sink hits and delivery rows per key, for the acknowledged keys of one endpoint. */
export async function tallyPublished(
  code: string,
  sink: Sink,
  acknowledged: Iterable<string>,
): Promise<PublishTally> {
  const hits = new Map<string, number>();
  for (const request of sink.requests) {
    let key: string;
    try {
      key = String((JSON.parse(request.body.toString()) as { key: unknown }).key);
    } catch {
      continue;
    }
    hits.set(key, (hits.get(key) ?? 0) + 1);
  }
  const rows = await query<{ key: string; state: string }>(
    process.env.DATABASE_URL!,
    `SELECT payload->>'key' AS key, state FROM deliveries WHERE endpoint_code = $1`,
    [code],
  );
  const rowsPerKey = new Map<string, number>();
  const doneKeys = new Set<string>();
  const byState: Record<string, number> = {};
  for (const row of rows) {
    rowsPerKey.set(row.key, (rowsPerKey.get(row.key) ?? 0) + 1);
    byState[row.state] = (byState[row.state] ?? 0) + 1;
    if (row.state === 'done') doneKeys.add(row.key);
  }
  const keys = [...acknowledged];
  return {
    lost: keys.filter((key) => !doneKeys.has(key) || !hits.has(key)),
    repeatedAtSink: [...hits].filter(([, n]) => n > 1).map(([key]) => key),
    duplicateRows: [...rowsPerKey].filter(([, n]) => n > 1).map(([key]) => key),
    sinkHits: [...hits.values()].reduce((a, n) => a + n, 0),
    rows: rows.length,
    done: byState.done ?? 0,
    byState,
  };
}

export interface SettledPublishing {
  tally: PublishTally;
  /** Jobs in BullMQ's failed set of `outbound-requests`. */
  failed: number;
  sent: number;
  viaRaw: number;
  drainMs: number;
}

/**
 * Waits (bounded, never throwing) until every acknowledged request is delivered, gives
 * repeats a moment to arrive, then counts: the closing step of each publish scenario.
 */
export async function settlePublished(
  code: string,
  sink: Sink,
  pub: Publishers,
  stack: Stack,
  since: number,
): Promise<SettledPublishing> {
  await waitFor(
    async () =>
      (await tallyPublished(code, sink, pub.acknowledged.keys())).lost.length === 0
        ? true
        : undefined,
    {
      timeoutMs: sized(180_000, 90_000),
      intervalMs: 500,
      what: `every acknowledged request delivered; dispatcher: ${stack.output('outbound-dispatcher').slice(-2000)}`,
    },
  ).catch(() => undefined);
  const drainMs = Date.now() - since;
  // Repeats would arrive after the last first delivery: give them a moment.
  await sleep(2_000);
  const tally = await tallyPublished(code, sink, pub.acknowledged.keys());
  const failed = await pub.failedJobs();
  const sent = pub.acknowledged.size;
  const viaRaw = [...pub.acknowledged.values()].filter((via) => via === 'raw').length;
  return { tally, failed, sent, viaRaw, drainMs };
}
