import { Queue } from 'bullmq';
import { HookgatePublisher, QueueName } from '@app/messaging';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../test/support/processes';
import { query } from '../../../test/support/database';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';
import { PgProxy } from '../../../test/chaos/support/pg-proxy';

/**
 * The publish intake (`outbound-requests`) against the real dispatcher process, whose
 * Postgres goes through a proxy the test can cut (the shared server is never touched).
 *
 * - A job the queue accepted is an acknowledged request, whatever its options: jobs added
 *   with BullMQ's defaults (one attempt, failed jobs kept) while the dispatcher's Postgres
 *   is away must not end in the failed set, and each is delivered once when it returns.
 * - What can never become a delivery (malformed data, an unknown job name, an unknown
 *   tenant) is refused where an operator can list it, and counted.
 * - A renamed tenant: its new name reaches it, its old name does not.
 */
jest.setTimeout(180_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

describe('outbound intake (outbound-requests) against the real dispatcher', () => {
  let proxy: PgProxy;
  let admin: RunningApp | undefined;
  let dispatcher: RunningApp | undefined;
  let sink: Sink;
  let raw: Queue;
  let adminUrl: string;
  let dispatcherUrl: string;
  const prefix = `${process.env.QUEUE_PREFIX}_intake`;

  beforeAll(async () => {
    const target = new URL(db());
    proxy = await PgProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    sink = await startSink();
    const env = {
      DATABASE_URL: db(),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      RECONCILE_INTERVAL_SECONDS: '1',
      PROCESSING_LEASE_SECONDS: '3',
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    const [adminPort, dispatcherPort] = await Promise.all([freePort(), freePort()]);
    adminUrl = `http://127.0.0.1:${adminPort}`;
    dispatcherUrl = `http://127.0.0.1:${dispatcherPort}`;
    admin = spawnApp('admin', { ...env, ADMIN_PORT: String(adminPort) });
    dispatcher = spawnApp('outbound-dispatcher', {
      ...env,
      DATABASE_URL: proxy.rewrite(db()),
      DISPATCHER_PORT: String(dispatcherPort),
    });
    for (const [app, url] of [
      [admin, adminUrl],
      [dispatcher, dispatcherUrl],
    ] as const) {
      await waitFor(
        async () => ((await fetch(`${url}/health/ready`)).status === 200 ? true : undefined),
        { timeoutMs: 60_000, what: `ready on ${url}: ${app.output()}` },
      );
    }
    // A producer that is not HookgatePublisher: BullMQ's own defaults (one attempt, failed
    // jobs kept in the failed set), as any service could use.
    raw = new Queue(QueueName.OutboundRequests, {
      connection: { url: process.env.REDIS_URL! },
      prefix,
    });
  });

  afterAll(async () => {
    await raw?.close();
    if (dispatcher) await stopApp(dispatcher, 'SIGKILL');
    if (admin) await stopApp(admin);
    await proxy?.close();
    await sink?.close();
  });

  async function adminCall(
    path: string,
    init: { method?: string; body?: unknown; key?: string } = {},
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${adminUrl}/api/v1${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${init.key ?? ADMIN_KEY}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function sinkEndpoint(code: string, key?: string): Promise<void> {
    const res = await adminCall('/outbound-endpoints', {
      key,
      body: sinkEndpointBody(code, sink.url, { targetPath: `/hooks/${code}` }),
    });
    if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Sink hits per `payload.key` for one endpoint. */
  function hitsOf(code: string): Map<string, number> {
    const hits = new Map<string, number>();
    for (const request of sink.requests) {
      if (request.url !== `/hooks/${code}`) continue;
      const key = String((JSON.parse(request.body.toString()) as { key: unknown }).key);
      hits.set(key, (hits.get(key) ?? 0) + 1);
    }
    return hits;
  }

  async function refusalsOf(marker: string) {
    return query<{ job_name: string; tenant: string | null; reason: string; data: string }>(
      db(),
      `SELECT job_name, tenant, reason, data FROM outbound_request_refusals
        WHERE data LIKE '%' || $1 || '%' ORDER BY created_at`,
      [marker],
    );
  }

  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${dispatcherUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('keeps jobs added with BullMQ defaults while its Postgres is cut, none failed, each delivered once after', async () => {
    const code = unique('intake-pgdown');
    await sinkEndpoint(code);
    const total = 20;
    const deferredBefore = await metric(
      'hookgate_outbound_requests_deferred_total',
      'reason="unavailable"',
    );

    proxy.cut();
    try {
      for (let n = 0; n < total; n += 1) {
        await raw.add('deliver', { endpoint: code, payload: { key: `k${n}` } });
      }
      // Every job is taken (and, before the fix, failed) within a few seconds.
      await waitFor(
        async () => {
          const counts = await raw.getJobCounts('wait', 'active');
          return counts.wait + counts.active === 0 ? true : undefined;
        },
        { timeoutMs: 30_000, what: 'the intake taking every job' },
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const during = await raw.getJobCounts('failed', 'completed', 'delayed', 'wait', 'active');
      expect(during.failed).toBe(0);
      expect(during.completed).toBe(0);
      expect(during.delayed + during.wait + during.active).toBe(total);
      expect(
        await metric('hookgate_outbound_requests_deferred_total', 'reason="unavailable"'),
      ).toBeGreaterThan(deferredBefore);
    } finally {
      proxy.restore();
    }

    await waitFor(
      async () => {
        const [row] = await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM deliveries WHERE endpoint_code = $1 AND state = 'done'`,
          [code],
        );
        return row.n === total ? true : undefined;
      },
      { timeoutMs: 90_000, what: `${total} deliveries done: ${dispatcher!.output().slice(-2000)}` },
    );
    const rows = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM deliveries WHERE endpoint_code = $1`,
      [code],
    );
    expect(rows[0].n).toBe(total);
    const hits = hitsOf(code);
    expect(hits.size).toBe(total);
    expect([...hits.values()].every((n) => n === 1)).toBe(true);
    expect((await raw.getJobCounts('failed')).failed).toBe(0);
  });

  it('stores a burst of concurrent deliver jobs together: each job its own row, repeats absorbed, unknown endpoints dead-lettered', async () => {
    // The intake stores concurrent deliver requests in one multi-row INSERT; every job must
    // still end up as exactly its own row (the right endpoint, payload and context).
    const [codeA, codeB] = [unique('intake-burst-a'), unique('intake-burst-b')];
    await sinkEndpoint(codeA);
    await sinkEndpoint(codeB);
    const unknown = unique('intake-burst-none');
    const jobs = [
      ...Array.from({ length: 30 }, (_, n) => ({
        endpoint: n % 2 === 0 ? codeA : codeB,
        payload: { key: `k${n}` },
        context: { n: String(n) },
        idempotencyKey: `burst-${n}`,
      })),
      // Repeats of five keys in the same burst: absorbed by the first row of each.
      ...Array.from({ length: 5 }, (_, n) => ({
        endpoint: n % 2 === 0 ? codeA : codeB,
        payload: { key: `k${n}`, repeat: true },
        idempotencyKey: `burst-${n}`,
      })),
      ...Array.from({ length: 5 }, (_, n) => ({
        endpoint: unknown,
        payload: { key: `u${n}` },
        idempotencyKey: `burst-u${n}`,
      })),
    ];
    await raw.addBulk(jobs.map((data) => ({ name: 'deliver', data })));

    await waitFor(
      async () => {
        const [row] = await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM deliveries
            WHERE endpoint_code IN ($1, $2) AND state = 'done'`,
          [codeA, codeB],
        );
        return row.n === 30 ? true : undefined;
      },
      { timeoutMs: 60_000, what: `30 deliveries done: ${dispatcher!.output().slice(-2000)}` },
    );
    const rows = await query<{
      endpoint_code: string;
      idempotency_key: string;
      state: string;
      payload: { key: string; repeat?: boolean };
      context: Record<string, string>;
      last_error: string | null;
    }>(
      db(),
      `SELECT endpoint_code, idempotency_key, state, payload, context, last_error FROM deliveries
        WHERE endpoint_code IN ($1, $2, $3) ORDER BY idempotency_key`,
      [codeA, codeB, unknown],
    );
    expect(rows).toHaveLength(35);
    for (let n = 0; n < 30; n += 1) {
      const row = rows.find((r) => r.idempotency_key === `burst-${n}`);
      expect(row).toMatchObject({
        endpoint_code: n % 2 === 0 ? codeA : codeB,
        state: 'done',
        payload: { key: `k${n}` },
      });
      // The row is the first job's (with its context), whichever of the two ran first.
      if (n >= 5) expect(row?.context).toEqual({ n: String(n) });
    }
    const dead = rows.filter((r) => r.endpoint_code === unknown);
    expect(dead).toHaveLength(5);
    expect(dead.every((r) => r.state === 'dead_letter')).toBe(true);
    expect(dead[0].last_error).toContain(`unknown outbound endpoint "${unknown}"`);
    // Each key reached its endpoint once.
    const [hitsA, hitsB] = [hitsOf(codeA), hitsOf(codeB)];
    expect(hitsA.size + hitsB.size).toBe(30);
    expect([...hitsA.values(), ...hitsB.values()].every((n) => n === 1)).toBe(true);
    expect((await raw.getJobCounts('failed')).failed).toBe(0);
  });

  it('refuses a malformed job, an unknown job name and an unknown tenant: listed with a reason, and counted', async () => {
    const code = unique('intake-refuse');
    await sinkEndpoint(code);
    const marker = unique('marker');
    const before = {
      malformed: await metric('hookgate_outbound_requests_refused_total', 'reason="malformed"'),
      unknownJob: await metric('hookgate_outbound_requests_refused_total', 'reason="unknown_job"'),
      unknownTenant: await metric(
        'hookgate_outbound_requests_refused_total',
        'reason="unknown_tenant"',
      ),
    };
    await raw.add('deliver', { payload: { marker } }); // no endpoint
    await raw.add('deliver', { endpoint: code, payload: { marker }, context: { n: 1 } });
    await raw.add('send-it', { endpoint: code, payload: { marker } });
    await raw.add('deliver', { endpoint: code, tenant: `nobody-${marker}`, payload: { marker } });
    // A NUL in a name Postgres `text` would refuse: still recorded.
    await raw.add('deliver\u0000x', { endpoint: code, payload: { marker } });

    const refusals = await waitFor(
      async () => {
        const found = await refusalsOf(marker);
        return found.length === 5 ? found : undefined;
      },
      { timeoutMs: 30_000, what: `5 refusals: ${dispatcher!.output().slice(-2000)}` },
    );
    const reasons = refusals.map((r) => r.reason.split(':')[0]).sort();
    expect(reasons).toEqual([
      'malformed',
      'malformed',
      'unknown_job',
      'unknown_job',
      'unknown_tenant',
    ]);
    expect(refusals.find((r) => r.reason.startsWith('unknown_tenant'))).toMatchObject({
      tenant: `nobody-${marker}`,
      reason: expect.stringContaining(`unknown tenant "nobody-${marker}"`),
    });
    expect(refusals.map((r) => r.job_name)).toContain('send-it');
    expect(refusals.map((r) => r.job_name)).toContain('deliver\uFFFDx');
    expect(refusals.every((r) => r.data.includes(marker))).toBe(true);
    // Nothing was delivered for them, and no job failed.
    expect(hitsOf(code).size).toBe(0);
    expect((await raw.getJobCounts('failed')).failed).toBe(0);

    expect(await metric('hookgate_outbound_requests_refused_total', 'reason="malformed"')).toBe(
      before.malformed + 2,
    );
    expect(await metric('hookgate_outbound_requests_refused_total', 'reason="unknown_job"')).toBe(
      before.unknownJob + 2,
    );
    expect(
      await metric('hookgate_outbound_requests_refused_total', 'reason="unknown_tenant"'),
    ).toBe(before.unknownTenant + 1);
  });

  it('sends requests to a renamed tenant by its new name, and its old name no longer reaches it', async () => {
    const oldName = unique('acme').toLowerCase();
    const newName = unique('acme-renamed').toLowerCase();
    const created = await adminCall('/tenants', { body: { name: oldName } });
    expect(created.status).toBe(201);
    const renamedKey: string = created.body.adminKey.key;
    const code = unique('intake-tenant');
    await sinkEndpoint(code, renamedKey);
    const publisher = new HookgatePublisher({ redisUrl: process.env.REDIS_URL, prefix });
    try {
      const deliveriesIn = async (tenantId: string) =>
        query<{ payload: { key: string } }>(
          db(),
          `SELECT payload FROM deliveries WHERE endpoint_code = $1 AND tenant_id = $2`,
          [code, tenantId],
        );
      // The intake has looked the old name up (and would have cached it).
      await publisher.deliver({ endpoint: code, tenant: oldName, payload: { key: 'before' } });
      await waitFor(
        async () => ((await deliveriesIn(created.body.tenant.id)).length === 1 ? true : undefined),
        { timeoutMs: 30_000, what: 'the first request in the tenant' },
      );

      const renamed = await adminCall('/tenant', {
        method: 'PUT',
        key: renamedKey,
        body: { name: newName },
      });
      expect(renamed.status).toBe(200);
      // Another tenant takes the old name, with an endpoint of the same code.
      const successor = await adminCall('/tenants', { body: { name: oldName } });
      expect(successor.status).toBe(201);
      await sinkEndpoint(code, successor.body.adminKey.key);

      await publisher.deliver({ endpoint: code, tenant: newName, payload: { key: 'new-name' } });
      await publisher.deliver({ endpoint: code, tenant: oldName, payload: { key: 'old-name' } });
      await waitFor(
        async () =>
          (await deliveriesIn(created.body.tenant.id)).length +
            (await deliveriesIn(successor.body.tenant.id)).length ===
          3
            ? true
            : undefined,
        { timeoutMs: 30_000, what: 'both requests taken' },
      );
      const renamedTenant = (await deliveriesIn(created.body.tenant.id))
        .map((d) => d.payload.key)
        .sort();
      const successorTenant = (await deliveriesIn(successor.body.tenant.id)).map(
        (d) => d.payload.key,
      );
      expect(renamedTenant).toEqual(['before', 'new-name']);
      expect(successorTenant).toEqual(['old-name']);
    } finally {
      await publisher.close();
    }
  });
  it('hands nothing straight to the sender while outbound-deliveries is paused: the pause holds, resume delivers once', async () => {
    const code = unique('intake-paused');
    await sinkEndpoint(code);
    const deliveriesQueue = new Queue(QueueName.OutboundDeliveries, {
      connection: { url: process.env.REDIS_URL! },
      prefix,
    });
    const publisher = new HookgatePublisher({ redisUrl: process.env.REDIS_URL, prefix });
    try {
      await deliveriesQueue.pause();
      // The intake reads the pause every 500 ms; let it see this one.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (const key of ['p1', 'p2', 'p3']) {
        await publisher.deliver({ endpoint: code, payload: { key }, idempotencyKey: key });
      }
      const states = async () =>
        query<{ state: string }>(db(), `SELECT state FROM deliveries WHERE endpoint_code = $1`, [
          code,
        ]);
      await waitFor(async () => ((await states()).length === 3 ? true : undefined), {
        timeoutMs: 30_000,
        what: 'three rows stored',
      });
      // Paused: stored and queued, and nothing reached the sink (not even by hand-off).
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await states()).map((r) => r.state)).toEqual(['queued', 'queued', 'queued']);
      expect(hitsOf(code).size).toBe(0);

      await deliveriesQueue.resume();
      await waitFor(
        async () => ((await states()).every((r) => r.state === 'done') ? true : undefined),
        { timeoutMs: 30_000, what: 'all three done after resume' },
      );
      expect([...hitsOf(code).entries()].sort()).toEqual([
        ['p1', 1],
        ['p2', 1],
        ['p3', 1],
      ]);
    } finally {
      await deliveriesQueue.resume().catch(() => undefined);
      await deliveriesQueue.close();
      await publisher.close();
    }
  });
});
