import type { INestApplication } from '@nestjs/common';
import { HookgatePublisher } from '@app/messaging';
import { startAdminApp } from '../../../test/support/harness';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../test/support/processes';
import { query } from '../../../test/support/database';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Endpoint health with two dispatchers (SPEC §11, docs/outbound.md "Endpoint health"): the
 * failure count and span live in Postgres, so a success must clear them whichever
 * dispatcher recorded the failures. Dispatcher A records a failure; dispatcher B, which
 * saw none, sends the next delivery successfully and must reset the row; a later single
 * failure must then count as the first, not disable an endpoint that has been succeeding.
 *
 * A is stopped before B sends, so that B is the one that does (with both running, which
 * one claims a delivery is not up to the test); B's own metrics confirm it. Built apps
 * from dist/ (`npm run build` first). The clock is moved by backdating `failing_since`.
 */
jest.setTimeout(150_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-health-scale-out-0123';
const PREFIX = `${process.env.QUEUE_PREFIX}_health2`;

interface Health {
  consecutive_failures: number;
  failing_since: Date | null;
  failing_for: number | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
}

describe('endpoint health across two dispatchers', () => {
  const dispatchers: RunningApp[] = [];
  let admin: { app: INestApplication; url: string } | undefined;
  let sink: Sink | undefined;
  let publisher: HookgatePublisher | undefined;
  const env = () => ({
    DATABASE_URL: db(),
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: PREFIX,
    HOST: '127.0.0.1',
    ADMIN_API_KEY: ADMIN_KEY,
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
  });

  afterAll(async () => {
    await publisher?.close();
    await Promise.all(dispatchers.map((app) => stopApp(app)));
    await admin?.app.close();
    await sink?.close();
  });

  async function startDispatcher(): Promise<{ app: RunningApp; port: number }> {
    const port = await freePort();
    const app = spawnApp('outbound-dispatcher', { ...env(), DISPATCHER_PORT: String(port) });
    dispatchers.push(app);
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
      { timeoutMs: 60_000, what: `dispatcher ready on ${port}: ${app.output()}` },
    );
    return { app, port };
  }

  async function delivered(code: string, count: number, last: string) {
    return waitFor(
      async () => {
        const rows = await query<{ state: string; attempts: number }>(
          db(),
          `SELECT state, attempts FROM deliveries WHERE endpoint_code = $1 ORDER BY created_at, id`,
          [code],
        );
        return rows.length === count && rows[count - 1].state === last ? rows : undefined;
      },
      { timeoutMs: 30_000, what: `delivery ${count} of ${code} ${last}` },
    );
  }

  const health = async (id: string) =>
    (
      await query<Health>(
        db(),
        `SELECT consecutive_failures, failing_since,
                EXTRACT(EPOCH FROM now() - failing_since)::float AS failing_for,
                disabled_at, disabled_reason
           FROM outbound_endpoints WHERE id = $1`,
        [id],
      )
    )[0];

  /** Deliveries this dispatcher finished with `outcome`, from its own /metrics. */
  async function finished(port: number, outcome: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('hookgate_outbound_deliveries_total{') &&
          line.includes(`outcome="${outcome}"`),
      )
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  it('a success on B clears the failures A recorded; a later single failure does not disable', async () => {
    const a = await startDispatcher();
    admin = await startAdminApp({ ...env(), LOG_LEVEL: 'warn' });
    sink = await startSink();
    publisher = new HookgatePublisher({ redisUrl: process.env.REDIS_URL, prefix: PREFIX });
    const code = unique('health2');
    const created = await fetch(`${admin.url}/api/v1/outbound-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        sinkEndpointBody(code, sink.url, {
          // Two failures in a row, or ten minutes of them, disable it; no retries, so each
          // delivery is one attempt.
          health: { disableAfterFailures: 2, disableAfterSeconds: 600 },
          retryPolicy: { maxAttempts: 1, initialDelaySeconds: 1, maxDelaySeconds: 1 },
        }),
      ),
    });
    expect(created.status).toBe(201);
    const ep = (await created.json()) as { id: string };

    // Dispatcher A alone: the first delivery fails there, A records the failure.
    sink.fallback = { status: 503 };
    await publisher.deliver({ endpoint: code, payload: { n: 1 } });
    await delivered(code, 1, 'dead_letter');
    const failing = await health(ep.id);
    expect(failing.consecutive_failures).toBe(1);
    expect(failing.failing_since).not.toBeNull();
    expect(failing.disabled_at).toBeNull();
    // Nine minutes into the ten-minute span.
    await query(
      db(),
      `UPDATE outbound_endpoints SET failing_since = now() - interval '540 seconds' WHERE id = $1`,
      [ep.id],
    );
    expect(await finished(a.port, 'dead_letter')).toBe(1);

    // Dispatcher B takes over; A stops. B saw no failure; its success must reset the row.
    const b = await startDispatcher();
    await stopApp(a.app);
    sink.fallback = { status: 200, body: 'ok' };
    await publisher.deliver({ endpoint: code, payload: { n: 2 } });
    await delivered(code, 2, 'done');
    expect(await finished(b.port, 'done')).toBe(1);
    expect(sink.requests).toHaveLength(2);
    // Health is recorded before the attempt, so the row is final once the delivery is done.
    expect(await health(ep.id)).toEqual({
      consecutive_failures: 0,
      failing_since: null,
      failing_for: null,
      disabled_at: null,
      disabled_reason: null,
    });

    // Two more minutes: a span still open would now be eleven minutes long.
    await query(
      db(),
      `UPDATE outbound_endpoints SET failing_since = failing_since - interval '120 seconds'
        WHERE id = $1`,
      [ep.id],
    );
    // One failure after the success is the first of a new run: counted, not disabling.
    sink.fallback = { status: 503 };
    await publisher.deliver({ endpoint: code, payload: { n: 3 } });
    await delivered(code, 3, 'dead_letter');
    const after = await health(ep.id);
    expect(after.disabled_reason).toBeNull();
    expect(after.disabled_at).toBeNull();
    expect(after.consecutive_failures).toBe(1);
    expect(after.failing_for).toBeLessThan(60);
    expect(await finished(b.port, 'dead_letter')).toBe(1);

    // Still enabled: the next delivery is sent, not held.
    sink.fallback = { status: 200, body: 'ok' };
    await publisher.deliver({ endpoint: code, payload: { n: 4 } });
    await delivered(code, 4, 'done');
    expect(sink.requests).toHaveLength(4);
    expect(await finished(b.port, 'done')).toBe(2);
  });
});
