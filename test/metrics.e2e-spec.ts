import { join } from 'node:path';
import { Queue } from 'bullmq';
import { QueueName } from '@app/messaging';
import { query } from './support/database';
import { freePort, spawnApp, stopApp, type RunningApp } from './support/processes';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * `/metrics` of the three built apps (each its own process, so its own registry) after
 * real traffic: HTTP counts and latencies by route template and status, webhooks per
 * endpoint, inbound events and deliveries by outcome, attempt durations, a reconciler
 * action, an endpoint disabled by health, and queue depth and lag read from BullMQ at
 * scrape time. Every app also runs with an async-context probe preloaded: the gateway and
 * the dispatcher must serve all of that without ever switching on promise hooks.
 */
jest.setTimeout(120_000);

const PROBE_MARK = 'ASYNC_CONTEXT_PROBE';
const PROBE = `--require ${join(__dirname, 'support', 'async-context-probe.cjs')}`;

const KEY = 'metrics-test-admin-key-0123456789';

type Labels = Record<string, string>;
interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Labels = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[key] = value;
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The sum of every sample of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Labels = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function has(samples: Sample[], name: string, labels: Labels = {}): boolean {
  return samples.some(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

describe('metrics on all three apps after real traffic', () => {
  const env = {
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
    HOST: '127.0.0.1',
    ADMIN_API_KEY: KEY,
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    RECONCILE_INTERVAL_SECONDS: '1',
    NODE_OPTIONS: PROBE,
  };
  let running: RunningApp[] = [];
  let ports: { inbound: number; inboundMetrics: number; admin: number; dispatcher: number };
  let sink: Sink;
  let inboundQueue: Queue;

  const admin = async (path: string, body?: unknown, key = KEY) => {
    const res = await fetch(`http://127.0.0.1:${ports.admin}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  let sequence = 0;
  const webhook = (path: string) =>
    fetch(`http://127.0.0.1:${ports.inbound}/webhooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'metrics', n: (sequence += 1) }),
    });
  const scrape = async (port: number) =>
    parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());

  beforeAll(async () => {
    sink = await startSink();
    inboundQueue = new Queue(QueueName.InboundEvents, {
      connection: { url: env.REDIS_URL },
      prefix: env.QUEUE_PREFIX,
    });
    const [inbound, inboundMetrics, adminPort, dispatcher] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    ports = { inbound, inboundMetrics, admin: adminPort, dispatcher };
    running = [
      spawnApp('inbound-gateway', {
        ...env,
        INBOUND_PORT: String(inbound),
        INBOUND_METRICS_PORT: String(inboundMetrics),
      }),
      spawnApp('admin', { ...env, ADMIN_PORT: String(adminPort) }),
      spawnApp('outbound-dispatcher', { ...env, DISPATCHER_PORT: String(dispatcher) }),
    ];
    for (const [i, port] of [inbound, adminPort, dispatcher].entries()) {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
        { timeoutMs: 60_000, what: `app ready on ${port}; output:\n${running[i].output()}` },
      );
    }
  });

  afterAll(async () => {
    await inboundQueue?.resume().catch(() => undefined);
    await inboundQueue?.close();
    await Promise.all(running.map((app) => stopApp(app)));
    await sink?.close();
  });

  it('counts requests, outcomes, attempts, reconciler actions and queue depth and lag', async () => {
    const stamp = Date.now().toString(36);
    // Inbound: an endpoint, three webhooks processed to the end, one unknown path.
    const handler = await admin('/handlers', {
      code: `metrics-h-${stamp}`,
      name: 'metrics',
      direction: 'inbound',
      executionMode: 'rules',
    });
    expect(handler.status).toBe(201);
    const path = `metrics-${stamp}`;
    const endpoint = await admin('/inbound-endpoints', {
      name: path,
      path,
      handler: handler.body.id,
    });
    expect(endpoint.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await webhook(path);
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const unknownPath = `no-such-endpoint-${stamp}`;
    expect((await webhook(unknownPath)).status).toBe(404);
    for (const id of ids) {
      await waitFor(
        async () => {
          const state = (await admin(`/inbound-events/${id}`)).body.state as string;
          return ['received', 'processing'].includes(state) ? undefined : state;
        },
        { timeoutMs: 20_000, what: `event ${id} processed` },
      );
    }

    // Outbound: one delivery through the API; one queued behind the API's back (no job),
    // which only the dispatcher's reconciler can find.
    const outbound = await admin('/outbound-endpoints', {
      code: `metrics-o-${stamp}`,
      name: 'metrics',
      state: 'active',
      targetHost: sink.url,
      targetPath: '/hook',
    });
    expect(outbound.status).toBe(201);
    const draftEndpoint = await admin('/outbound-endpoints', {
      code: `metrics-d-${stamp}`,
      name: 'metrics draft',
      state: 'draft',
      targetHost: sink.url,
      targetPath: '/held',
    });
    expect(draftEndpoint.status).toBe(201);
    const sent = await admin('/deliveries', { endpoint: outbound.body.code, payload: { n: 1 } });
    expect(sent.status).toBe(202);
    const held = await admin('/deliveries', {
      endpoint: draftEndpoint.body.code,
      payload: { n: 2 },
    });
    expect(held.status).toBe(202);
    expect(held.body.state).toBe('draft');
    await query(env.DATABASE_URL, `UPDATE outbound_endpoints SET state = 'active' WHERE id = $1`, [
      draftEndpoint.body.id,
    ]);
    await query(
      env.DATABASE_URL,
      `UPDATE deliveries SET state = 'queued', next_attempt_at = now() WHERE id = $1`,
      [held.body.id],
    );
    for (const id of [sent.body.id as string, held.body.id as string]) {
      await waitFor(
        async () => ((await admin(`/deliveries/${id}`)).body.state === 'done' ? true : undefined),
        { timeoutMs: 30_000, what: `delivery ${id} done` },
      );
    }

    // An endpoint that answers 410 Gone is disabled by endpoint health.
    const gone = await admin('/outbound-endpoints', {
      code: `metrics-g-${stamp}`,
      name: 'metrics gone',
      state: 'active',
      targetHost: sink.url,
      targetPath: '/gone',
    });
    expect(gone.status).toBe(201);
    sink.script = [{ status: 410 }];
    expect(
      (await admin('/deliveries', { endpoint: gone.body.code, payload: { n: 3 } })).status,
    ).toBe(202);
    await waitFor(
      async () =>
        (await admin(`/outbound-endpoints/${gone.body.id}`)).body.disabledAt ? true : undefined,
      { timeoutMs: 30_000, what: 'the 410 endpoint disabled' },
    );

    // A waiting job: pause the inbound queue, then send one more webhook.
    await inboundQueue.pause();
    expect((await webhook(path)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // Admin answers of several kinds, for its own HTTP series.
    expect((await admin('/handlers', undefined, 'wrong-key-0123456789')).status).toBe(401);
    expect((await admin(`/no-such-route-${stamp}`)).status).toBe(404);

    const gateway = await scrape(ports.inboundMetrics);
    await inboundQueue.resume();
    const adminMetrics = await scrape(ports.admin);
    const dispatcher = await scrape(ports.dispatcher);

    // Gateway: webhooks by route template (never the raw path) and by endpoint.
    const http = 'hookgate_http_request_duration_seconds_count';
    expect(
      total(gateway, http, { method: 'POST', route: '/webhooks/*path', status: '202' }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      total(gateway, http, { method: 'POST', route: '/webhooks/*path', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(gateway.some((s) => Object.values(s.labels).some((v) => v.includes(unknownPath)))).toBe(
      false,
    );
    // By endpoint id: no label names a configured path either (issue 21).
    expect(gateway.some((s) => Object.values(s.labels).some((v) => v.includes(path)))).toBe(false);
    expect(
      total(gateway, 'hookgate_inbound_requests_total', {
        endpoint: endpoint.body.id,
        status: '202',
      }),
    ).toBe(4);
    expect(total(gateway, 'hookgate_inbound_events_processed_total')).toBeGreaterThanOrEqual(3);
    expect(
      total(gateway, 'hookgate_queue_depth', { queue: 'inbound-events', state: 'waiting' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(gateway, 'hookgate_queue_lag_seconds', { queue: 'inbound-events' }),
    ).toBeGreaterThan(0.5);
    expect(
      gateway.every((s) => s.labels.app === undefined || s.labels.app === 'inbound-gateway'),
    ).toBe(true);

    // Admin: its routes by template, the 401 and the unmatched 404.
    expect(
      total(adminMetrics, http, { method: 'POST', route: '/api/v1/handlers', status: '201' }),
    ).toBe(1);
    expect(
      total(adminMetrics, http, { method: 'GET', route: '/api/v1/inbound-events/:id' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      total(adminMetrics, http, { method: 'GET', route: '/api/v1/handlers', status: '401' }),
    ).toBe(1);
    expect(total(adminMetrics, http, { route: 'unmatched', status: '404' })).toBe(1);
    expect(
      adminMetrics.some((s) => Object.values(s.labels).some((v) => v.includes('no-such-route'))),
    ).toBe(false);
    expect(
      total(adminMetrics, 'hookgate_http_request_duration_seconds_sum', {
        route: '/api/v1/deliveries',
      }),
    ).toBeGreaterThan(0);

    // Dispatcher: deliveries by outcome, attempt durations, the reconciler's rescue,
    // and its queues read at scrape time.
    expect(
      total(dispatcher, 'hookgate_outbound_deliveries_total', { outcome: 'done' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      total(dispatcher, 'hookgate_outbound_attempt_duration_seconds_count', { outcome: 'success' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      total(dispatcher, 'hookgate_outbound_attempt_duration_seconds_sum', { outcome: 'success' }),
    ).toBeGreaterThan(0);
    expect(
      total(dispatcher, 'hookgate_reconciler_actions_total', {
        kind: 'outbound',
        action: 'enqueued',
      }),
    ).toBeGreaterThanOrEqual(1);
    for (const queue of ['outbound-deliveries', 'outbound-requests']) {
      expect(has(dispatcher, 'hookgate_queue_depth', { queue, state: 'waiting' })).toBe(true);
      expect(has(dispatcher, 'hookgate_queue_lag_seconds', { queue })).toBe(true);
    }
    expect(
      total(dispatcher, 'hookgate_outbound_endpoints_disabled_total', { reason: 'gone' }),
    ).toBe(1);
    expect(
      total(dispatcher, 'hookgate_outbound_endpoints_disabled', { tenant: 'default' }),
    ).toBeGreaterThanOrEqual(1);
    expect(has(gateway, 'hookgate_outbound_endpoints_disabled')).toBe(false);
    expect(sink.requests.map((r) => r.url).sort()).toEqual(['/gone', '/held', '/hook']);
  });

  it('never switches on promise hooks in the gateway or the dispatcher', async () => {
    // Besides the traffic above (webhooks, processing, deliveries, health checks, scrapes),
    // the Express side of both: an unknown route and the OpenAPI document.
    for (const port of [ports.inbound, ports.dispatcher]) {
      expect((await fetch(`http://127.0.0.1:${port}/no-such-route`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/api/docs-json`)).status).toBe(200);
    }
    const [gateway, adminApp, dispatcher] = running;
    expect(gateway.output()).not.toContain(PROBE_MARK);
    expect(dispatcher.output()).not.toContain(PROBE_MARK);
    // The probe can see it: the admin app keeps a request context for its API principal.
    expect(adminApp.output()).toContain(`${PROBE_MARK} AsyncLocalStorage.run`);
  });

  it('answers a scrape within seconds while Redis is unreachable, leaving the queue series out', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const deadRedis = await freePort();
    const gateway = spawnApp('inbound-gateway', {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${deadRedis}`,
      INBOUND_PORT: String(port),
      INBOUND_METRICS_PORT: String(metricsPort),
    });
    try {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health`)).status === 200 ? true : undefined,
        { timeoutMs: 60_000, what: `gateway without Redis; output:\n${gateway.output()}` },
      );
      const started = Date.now();
      const samples = await scrape(metricsPort);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(total(samples, 'hookgate_queue_read_errors_total', { queue: 'inbound-events' })).toBe(
        1,
      );
      expect(has(samples, 'hookgate_queue_depth')).toBe(false);
      expect(has(samples, 'process_cpu_user_seconds_total')).toBe(true);
    } finally {
      await stopApp(gateway);
    }
  });
});
