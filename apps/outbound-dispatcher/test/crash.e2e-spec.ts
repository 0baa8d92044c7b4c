import { HookgatePublisher } from '@app/messaging';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../test/support/processes';
import { query } from '../../../test/support/database';
import { sinkEndpointBody, whsec } from '../../../test/support/fixtures';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Crash safety with real processes: the dispatcher is killed with SIGKILL while requests
 * are in flight to a slow sink, then started again.
 *
 * What must hold, counted at the sink by `webhook-id` (the delivery id) and in Postgres:
 * - every delivery ends `done`, with exactly one successful attempt;
 * - every delivery reached the sink;
 * - a delivery the sink saw more than once is one whose attempt the crash cut short, and
 *   the attempt log says so (`interrupted`). Delivery is at-least-once by nature — the
 *   receiver may have acted on a request whose answer never reached a dead dispatcher —
 *   which is why `webhook-id` stays stable across attempts for receivers to deduplicate;
 * - a delivery is never sent twice at once: a repeat only starts after the lease expired.
 */
jest.setTimeout(180_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const LEASE_SECONDS = 3;

describe('outbound dispatcher killed mid-delivery', () => {
  let dispatcher: RunningApp | undefined;
  let admin: RunningApp | undefined;
  let sink: Sink | undefined;
  let publisher: HookgatePublisher | undefined;

  afterAll(async () => {
    await publisher?.close();
    if (dispatcher) await stopApp(dispatcher, 'SIGKILL');
    if (admin) await stopApp(admin);
    await sink?.close();
  });

  it('finishes every delivery, each done once, repeats only where an attempt was interrupted', async () => {
    const prefix = `${process.env.QUEUE_PREFIX}_outcrash`;
    const env = {
      DATABASE_URL: db(),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      RECONCILE_INTERVAL_SECONDS: '1',
      PROCESSING_LEASE_SECONDS: String(LEASE_SECONDS),
      DISPATCHER_CONCURRENCY: '16',
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    const [adminPort, dispatcherPort] = await Promise.all([freePort(), freePort()]);
    admin = spawnApp('admin', { ...env, ADMIN_PORT: String(adminPort) });
    dispatcher = spawnApp('outbound-dispatcher', {
      ...env,
      DISPATCHER_PORT: String(dispatcherPort),
    });
    for (const [app, port] of [
      [admin, adminPort],
      [dispatcher, dispatcherPort],
    ] as const) {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
        { timeoutMs: 60_000, what: `ready on ${port}: ${app.output()}` },
      );
    }

    sink = await startSink();
    sink.fallback = { status: 200, body: 'ok', delayMs: 150 };
    const code = `outcrash-${Date.now().toString(36)}`;
    const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1/outbound-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        sinkEndpointBody(code, sink.url, {
          timeoutMs: 2000,
          retryPolicy: {
            maxAttempts: 5,
            initialDelaySeconds: 1,
            multiplier: 1,
            maxDelaySeconds: 2,
          },
          signing: { type: 'standard-webhooks', secret: whsec('crash-test-secret-0123456789') },
        }),
      ),
    });
    expect(res.status).toBe(201);

    publisher = new HookgatePublisher({ redisUrl: process.env.REDIS_URL, prefix });
    const total = 300;
    await Promise.all(
      Array.from({ length: total }, (_, n) =>
        publisher!.deliver({ endpoint: code, payload: { n }, idempotencyKey: `crash-${n}` }),
      ),
    );

    const doneCount = async () => {
      const [row] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM deliveries WHERE endpoint_code = $1 AND state = 'done'`,
        [code],
      );
      return Number(row.n);
    };
    const processingCount = async () => {
      const [row] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM deliveries WHERE endpoint_code = $1 AND state = 'processing'`,
        [code],
      );
      return Number(row.n);
    };
    // Kill only while a batch is in flight: the dispatcher claims in batches, so between two
    // batches nothing is `processing` and a kill there would prove nothing.
    await waitFor(
      async () => ((await doneCount()) >= 40 && (await processingCount()) > 0 ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 20,
        what: `some deliveries done and a batch in flight; dispatcher output: ${dispatcher.output().slice(-2000)}`,
      },
    );
    const inFlightAtKill = sink.requests.length;
    await stopApp(dispatcher, 'SIGKILL');
    const [processing] = await query<{ n: string }>(
      db(),
      `SELECT count(*) AS n FROM deliveries WHERE endpoint_code = $1 AND state = 'processing'`,
      [code],
    );
    // The kill really landed mid-batch, with attempts in flight.
    expect(await doneCount()).toBeLessThan(total);
    expect(Number(processing.n)).toBeGreaterThan(0);
    expect(inFlightAtKill).toBeGreaterThan(0);

    dispatcher = spawnApp('outbound-dispatcher', {
      ...env,
      DISPATCHER_PORT: String(dispatcherPort),
    });
    await waitFor(async () => ((await doneCount()) === total ? true : undefined), {
      timeoutMs: 120_000,
      what: `all ${total} deliveries done; dispatcher output: ${dispatcher.output().slice(-2000)}`,
    });

    const deliveries = await query<{ id: string; state: string }>(
      db(),
      `SELECT id, state FROM deliveries WHERE endpoint_code = $1`,
      [code],
    );
    expect(deliveries).toHaveLength(total);
    const attempts = await query<{ delivery_id: string; outcome: string; started_at: Date }>(
      db(),
      `SELECT a.delivery_id, a.outcome, a.started_at FROM delivery_attempts a
         JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_code = $1`,
      [code],
    );
    const successes = new Map<string, number>();
    const interrupted = new Set<string>();
    for (const attempt of attempts) {
      if (attempt.outcome === 'success') {
        successes.set(attempt.delivery_id, (successes.get(attempt.delivery_id) ?? 0) + 1);
      }
      if (attempt.outcome === 'interrupted') interrupted.add(attempt.delivery_id);
    }
    expect(interrupted.size).toBeGreaterThan(0);

    const seen = new Map<string, number[]>();
    for (const request of sink.requests) {
      const id = String(request.headers['webhook-id']);
      seen.set(id, [...(seen.get(id) ?? []), request.at]);
    }
    for (const delivery of deliveries) {
      expect(successes.get(delivery.id)).toBe(1);
      const times = seen.get(delivery.id) ?? [];
      expect(times.length).toBeGreaterThanOrEqual(1);
      if (times.length > 1) {
        expect(interrupted.has(delivery.id)).toBe(true);
        // The repeat waited for the dead dispatcher's lease: never two at once.
        expect(times[1] - times[0]).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 500);
      }
    }
    // Nothing the sink never heard of, and repeats bounded by what was in flight.
    expect([...seen.keys()].every((id) => successes.has(id))).toBe(true);
    const repeats = [...seen.values()].filter((times) => times.length > 1).length;
    expect(repeats).toBeLessThanOrEqual(interrupted.size);
  });
});
