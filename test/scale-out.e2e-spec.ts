import Redis from 'ioredis';
import { startReadyApp, stopApp, type RunningApp } from './support/processes';
import { query } from './support/database';
import { sinkEndpointBody, whsec } from './support/fixtures';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * Scale-out (docs/scaling.md): two gateways and two dispatchers, spawned from dist/,
 * against one Postgres database and one queue prefix, share the work and do nothing twice.
 *
 * Webhooks go to both gateways in turn (a load balancer's round robin). Each event's
 * handler forwards it, so every event becomes one delivery that one of the dispatchers
 * sends to the sink. Counted by id: every event stored once and processed once (one
 * attempt), one delivery per event with one successful attempt, one request per delivery
 * at the sink — and each of the four processes did some of the work (their own metrics).
 * The queue prefix carries a hash tag (`{…}`), as on Redis Cluster (docs/scaling.md).
 */
jest.setTimeout(180_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-scale-out-0123456789';
const TOTAL = 400;
const PREFIX = `{${process.env.QUEUE_PREFIX}_scaleout}`;

describe('scale-out: two gateways and two dispatchers on one database and queue prefix', () => {
  const apps: RunningApp[] = [];
  /** An app's port → the port its /metrics is on (the gateway's metrics listener). */
  const metricsPorts = new Map<number, number>();
  let sink: Sink | undefined;

  afterAll(async () => {
    await Promise.all(apps.map((app) => stopApp(app)));
    await sink?.close();
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });

  async function start(
    app: 'admin' | 'inbound-gateway' | 'outbound-dispatcher',
    env: Record<string, string>,
  ): Promise<number> {
    const { port, metricsPort } = await startReadyApp(app, env, apps);
    metricsPorts.set(port, metricsPort);
    return port;
  }

  async function admin(adminPort: number, path: string, body: unknown): Promise<any> {
    const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json()) as unknown;
    expect(res.status).toBe(201);
    return parsed;
  }

  /** The sum of one metric's samples with the given label, from an app's /metrics. */
  async function metric(port: number, name: string, label: string): Promise<number> {
    const text = await (
      await fetch(`http://127.0.0.1:${metricsPorts.get(port) ?? port}/metrics`)
    ).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  it('shares events and deliveries between the processes, each processed exactly once', async () => {
    const env = {
      DATABASE_URL: db(),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: PREFIX,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      // Small batches and pools, so that both processes of a kind get a share.
      INBOUND_WORKER_CONCURRENCY: '8',
      DISPATCHER_CONCURRENCY: '8',
    };
    const adminPort = await start('admin', env);
    const gateways = [await start('inbound-gateway', env), await start('inbound-gateway', env)];
    const dispatchers = [
      await start('outbound-dispatcher', env),
      await start('outbound-dispatcher', env),
    ];

    sink = await startSink();
    sink.fallback = { status: 200, body: 'ok', delayMs: 20 };
    const code = `scaleout-${Date.now().toString(36)}`;
    await admin(
      adminPort,
      '/outbound-endpoints',
      sinkEndpointBody(code, sink.url, {
        signing: { type: 'standard-webhooks', secret: whsec('scale-out-test-secret-0123') },
      }),
    );
    const handler = await admin(adminPort, '/handlers', {
      code: `${code}-h`,
      name: `${code} forward`,
      direction: 'inbound',
      executionMode: 'rules',
      rules: [
        { sequence: 10, name: 'forward', conditions: [], action: 'forward', forwardTo: code },
      ],
    });
    const endpoint = await admin(adminPort, '/inbound-endpoints', {
      name: code,
      path: code,
      handler: handler.code,
    });

    // Round robin over the two gateways, 16 requests at a time.
    const accepted: string[] = [];
    for (let start = 0; start < TOTAL; start += 16) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(16, TOTAL - start) }, async (_, i) => {
          const n = start + i;
          const res = await fetch(`http://127.0.0.1:${gateways[n % 2]}${endpoint.url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ n }),
          });
          expect(res.status).toBe(202);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      accepted.push(...answers);
    }
    expect(new Set(accepted).size).toBe(TOTAL);

    await waitFor(
      async () => {
        const [row] = await query<{ n: string }>(
          db(),
          `SELECT count(*) AS n FROM deliveries WHERE endpoint_code = $1 AND state = 'done'`,
          [code],
        );
        return Number(row.n) === TOTAL ? true : undefined;
      },
      { timeoutMs: 120_000, what: `${TOTAL} deliveries done` },
    );

    // Events: each stored once, processed once.
    const events = await query<{ id: string; state: string; attempts: number }>(
      db(),
      `SELECT id, state, attempts FROM inbound_events WHERE endpoint_path = $1`,
      [code],
    );
    expect(events).toHaveLength(TOTAL);
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(accepted));
    expect(events.every((e) => e.state === 'done' && e.attempts === 1)).toBe(true);

    // Deliveries: one per event, each with exactly one attempt, a success.
    const deliveries = await query<{ id: string; source_event_id: string; attempts: number }>(
      db(),
      `SELECT id, source_event_id, attempts FROM deliveries WHERE endpoint_code = $1`,
      [code],
    );
    expect(deliveries).toHaveLength(TOTAL);
    expect(new Set(deliveries.map((d) => d.source_event_id))).toEqual(new Set(accepted));
    expect(deliveries.every((d) => d.attempts === 1)).toBe(true);
    const attempts = await query<{ delivery_id: string; outcome: string }>(
      db(),
      `SELECT a.delivery_id, a.outcome FROM delivery_attempts a
         JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_code = $1`,
      [code],
    );
    expect(attempts).toHaveLength(TOTAL);
    expect(attempts.every((a) => a.outcome === 'success')).toBe(true);
    expect(new Set(attempts.map((a) => a.delivery_id)).size).toBe(TOTAL);

    // The sink: one request per delivery (webhook-id is the delivery id), none twice.
    const seen = sink.requests.map((r) => String(r.headers['webhook-id']));
    expect(seen).toHaveLength(TOTAL);
    expect(new Set(seen)).toEqual(new Set(deliveries.map((d) => d.id)));

    // Both processes of each kind did part of the work, and together exactly all of it.
    const processed = await Promise.all(
      gateways.map((port) =>
        metric(port, 'hookgate_inbound_events_processed_total', 'outcome="done"'),
      ),
    );
    const sent = await Promise.all(
      dispatchers.map((port) =>
        metric(port, 'hookgate_outbound_deliveries_total', 'outcome="done"'),
      ),
    );
    expect(processed.every((n) => n > 0)).toBe(true);
    expect(sent.every((n) => n > 0)).toBe(true);
    expect(processed[0] + processed[1]).toBe(TOTAL);
    expect(sent[0] + sent[1]).toBe(TOTAL);
  });
});
