import type { Worker } from 'node:worker_threads';
import { Client } from 'pg';
import { inboundWriterRestarts } from '@app/platform';
import { EVENT_STORE } from '../src/app.module';
import { EventWriter } from '../src/receive/event-writer';
import { ThreadedEventWriter } from '../src/receive/threaded-event-writer';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * The gateway's group commit on its own thread (INBOUND_WRITER_THREAD, on by default):
 * events reach `done` through it, a thread that dies mid-load costs 503s but never a 2xx
 * without its row, a new thread takes over, and shutdown stops the thread.
 */
const db = () => process.env.DATABASE_URL!;

/** Waits until the event has been processed to `done` (so it was enqueued too). */
async function processed(eventId: string): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await query<{ state: string }>(
        db(),
        `SELECT state FROM inbound_events WHERE id = $1`,
        [eventId],
      );
      return row?.state === 'done' ? true : undefined;
    },
    { what: `event ${eventId} done` },
  );
}

function threadOf(writer: ThreadedEventWriter): Worker {
  return (writer as unknown as { worker: Worker }).worker;
}

describe('event-writer thread', () => {
  let harness: Harness;
  let writer: ThreadedEventWriter;
  let endpoint: { id: string; url: string };

  beforeAll(async () => {
    harness = await startHarness();
    writer = harness.inboundApp.get(EVENT_STORE);
    const handler = await createHandler(harness, {});
    endpoint = await createInboundEndpoint(harness, {
      handler: handler.code,
      identity: { delivery: { policy: 'delivery_header', header: 'X-Delivery' } },
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  const send = (delivery: string) =>
    post(harness, endpoint.url, JSON.stringify({ n: delivery }), { 'x-delivery': delivery });

  it('is the store the gateway runs with, and stored events are processed', async () => {
    expect(writer).toBeInstanceOf(ThreadedEventWriter);
    // The thread reports its own V8 heap, which the process's default metrics do not see.
    await waitFor(
      async () => {
        const metrics = await (await fetch(`${harness.inboundMetricsUrl}/metrics`)).text();
        const heap = /^hookgate_inbound_writer_thread_heap_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(
          metrics,
        );
        return Number(heap?.[1]) > 1e6 ? true : undefined;
      },
      { what: "the writer thread's heap in /metrics" },
    );
    const answer = await send(unique('d'));
    expect(answer.status).toBe(202);
    await processed(answer.body.id);
  });

  it('fails the inserts in flight with 503 when the thread dies, then a new thread serves', async () => {
    // Inserts wait on a lock the test holds, so the thread dies with all of them in flight.
    const locker = new Client({ connectionString: db() });
    await locker.connect();
    const deliveries = Array.from({ length: 40 }, () => unique('kill'));
    const dead = threadOf(writer);
    const restartsBefore = (await inboundWriterRestarts.get()).values[0]?.value ?? 0;
    let settled: Array<{ status: number; body: any }>;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE inbound_events IN EXCLUSIVE MODE');
      const answers = deliveries.map((delivery) => send(delivery));
      await waitFor(() => (writer.pendingInserts === deliveries.length ? true : undefined), {
        what: 'all 40 inserts handed to the thread',
      });
      await dead.terminate();
      settled = await Promise.all(answers);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(settled.map((a) => a.status)).toEqual(deliveries.map(() => 503));

    // A new thread takes over (within the one-second restart delay) and serves again.
    await waitFor(async () => ((await send(unique('after'))).status === 202 ? true : undefined));
    expect(threadOf(writer)).not.toBe(dead);
    expect((await inboundWriterRestarts.get()).values[0]?.value).toBe(restartsBefore + 1);
    // Each failed delivery, sent again, is stored exactly once: a statement the server had
    // already taken may have committed after the thread died, and then the retry is
    // answered as its duplicate.
    const retried = await Promise.all(deliveries.map((delivery) => send(delivery)));
    expect(retried.every((a) => a.status === 202 || a.status === 200)).toBe(true);
    const [stored] = await query<{ n: string }>(
      db(),
      `SELECT count(*) AS n FROM inbound_events WHERE endpoint_id = $1 AND delivery_identity = ANY($2)`,
      [endpoint.id, deliveries],
    );
    expect(Number(stored.n)).toBe(deliveries.length);
  });

  it('answers 2xx only for committed rows when the thread is killed under load', async () => {
    const answers = Array.from({ length: 300 }, () => send(unique('load')));
    await Promise.race(answers);
    await threadOf(writer).terminate();
    const settled = await Promise.all(answers);
    expect(settled.every((a) => a.status === 202 || a.status === 503)).toBe(true);
    const acknowledged = settled.filter((a) => a.status === 202).map((a) => a.body.id as string);
    expect(acknowledged.length).toBeGreaterThan(0);
    const [stored] = await query<{ n: string }>(
      db(),
      `SELECT count(*) AS n FROM inbound_events WHERE id = ANY($1::uuid[])`,
      [acknowledged],
    );
    expect(Number(stored.n)).toBe(acknowledged.length);
    await waitFor(async () => ((await send(unique('after'))).status === 202 ? true : undefined));
  });

  it('stops the thread when the gateway shuts down', async () => {
    const thread = threadOf(writer);
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    await harness.close();
    await expect(exited).resolves.toBeDefined();
    harness = undefined as unknown as Harness;
  });
});

describe('event writer in-process (INBOUND_WRITER_THREAD=false)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ env: { INBOUND_WRITER_THREAD: 'false' } });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('stores on the main thread, enqueues, and the event is processed', async () => {
    expect(harness.inboundApp.get(EVENT_STORE)).toBeInstanceOf(EventWriter);
    const handler = await createHandler(harness, {});
    const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
    const answer = await post(harness, endpoint.url, JSON.stringify({ n: 1 }));
    expect(answer.status).toBe(202);
    await processed(answer.body.id);
  });
});
