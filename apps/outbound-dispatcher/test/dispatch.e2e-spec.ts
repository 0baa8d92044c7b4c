import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import {
  HookgatePublisher,
  LeaseReconciler,
  LeasedItemProcessor,
  OUTBOUND_DELIVERY_WORK,
  QueueName,
} from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * The outbound pipeline against the real dispatcher, Postgres, Redis and loopback sinks:
 * publishing with the client, request building per body mode, signing, retries,
 * dead-lettering, fan-out and idempotency.
 */
jest.setTimeout(90_000);
const db = () => process.env.DATABASE_URL!;
const whsec = 'whsec_' + Buffer.from('outbound-signing-secret-0123456789').toString('base64');
const fastRetries = { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 5 };

describe('outbound dispatch', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  beforeEach(() => {
    sink.requests.length = 0;
    sink.script.length = 0;
    sink.fallback = { status: 200, body: 'ok' };
  });

  async function endpoint(body: Record<string, unknown>): Promise<{ id: string; code: string }> {
    const code = (body.code as string | undefined) ?? unique('out');
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, { retryPolicy: fastRetries, ...body }),
    });
    if (res.status !== 201)
      throw new Error(`outbound endpoint not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function deliveriesOf(code: string) {
    return query<{ id: string; state: string; attempts: number; last_error: string | null }>(
      db(),
      `SELECT id, state, attempts, last_error FROM deliveries WHERE endpoint_code = $1 ORDER BY created_at`,
      [code],
    );
  }

  async function settled(code: string, count = 1) {
    return waitFor(
      async () => {
        const rows = await deliveriesOf(code);
        return rows.length === count &&
          rows.every((r) => ['done', 'error', 'dead_letter', 'canceled'].includes(r.state))
          ? rows
          : undefined;
      },
      { timeoutMs: 60_000, what: `${count} deliveries of ${code} to settle` },
    );
  }

  async function attemptsOf(deliveryId: string) {
    return query<{
      attempt_number: number;
      outcome: string;
      response_status: number | null;
      error_class: string | null;
      started_at: Date;
      finished_at: Date;
    }>(
      db(),
      `SELECT attempt_number, outcome, response_status, error_class, started_at, finished_at
         FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
      [deliveryId],
    );
  }

  it('delivers JSON with resolved, encoded tokens, header rules and a Standard Webhooks signature', async () => {
    const { code } = await endpoint({
      method: 'PUT',
      targetPath: '/orders/{orderId}/events',
      headerRules: [{ name: 'X-Tenant', value: 'acme-{region}' }],
      signing: { type: 'standard-webhooks', secret: whsec },
    });
    await publisher.deliver({
      endpoint: code,
      payload: { order: 42, note: 'ünïcode' },
      context: { orderId: 'A/42 b', region: 'eu' },
      idempotencyKey: unique('k'),
    });
    const [delivery] = await settled(code);
    expect(delivery.state).toBe('done');
    expect(sink.requests).toHaveLength(1);
    const request = sink.requests[0];
    expect(request.method).toBe('PUT');
    expect(request.url).toBe('/orders/A%2F42%20b/events');
    expect(request.headers['x-tenant']).toBe('acme-eu');
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({ order: 42, note: 'ünïcode' });
    const verified = new Webhook(whsec).verify(request.body.toString('utf8'), {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
    expect(verified).toEqual({ order: 42, note: 'ünïcode' });
    expect(request.headers['webhook-id']).toBe(delivery.id);
  });

  it('encodes form bodies with nested keys and multipart bodies', async () => {
    const form = await endpoint({ bodyMode: 'form' });
    await publisher.deliver({
      endpoint: form.code,
      payload: { a: { b: 'c' }, list: ['x', 'y'], n: 1 },
    });
    await settled(form.code);
    const formBody = new URLSearchParams(sink.requests[0].body.toString('utf8'));
    expect(sink.requests[0].headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(formBody.get('a[b]')).toBe('c');
    expect(formBody.get('list[0]')).toBe('x');
    expect(formBody.get('list[1]')).toBe('y');
    expect(formBody.get('n')).toBe('1');

    sink.requests.length = 0;
    const multipart = await endpoint({ bodyMode: 'multipart' });
    await publisher.deliver({
      endpoint: multipart.code,
      payload: { name: 'report', meta: { pages: 3 } },
    });
    await settled(multipart.code);
    const contentType = String(sink.requests[0].headers['content-type']);
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    const parsed = await new Response(sink.requests[0].body, {
      headers: { 'content-type': contentType },
    }).formData();
    expect(parsed.get('name')).toBe('report');
    expect(parsed.get('meta[pages]')).toBe('3');
  });

  it('retries 500s and finishes done on the third attempt, logging each attempt', async () => {
    const { code } = await endpoint({});
    sink.script.push({ status: 500 }, { status: 500 });
    await publisher.deliver({ endpoint: code, payload: { n: 1 } });
    const [delivery] = await settled(code);
    expect(delivery.state).toBe('done');
    expect(delivery.attempts).toBe(3);
    const attempts = await attemptsOf(delivery.id);
    expect(attempts.map((a) => [a.attempt_number, a.outcome, a.response_status])).toEqual([
      [1, 'retry', 500],
      [2, 'retry', 500],
      [3, 'success', 200],
    ]);
  });

  it('dead-letters after maxAttempts of 500s, and errors a 400 after one attempt', async () => {
    const failing = await endpoint({});
    sink.fallback = { status: 500 };
    await publisher.deliver({ endpoint: failing.code, payload: { n: 2 } });
    const [dead] = await settled(failing.code);
    expect(dead.state).toBe('dead_letter');
    expect(dead.attempts).toBe(3);
    expect((await attemptsOf(dead.id)).map((a) => a.outcome)).toEqual([
      'retry',
      'retry',
      'dead_letter',
    ]);

    const rejecting = await endpoint({});
    sink.fallback = { status: 400, body: 'bad' };
    await publisher.deliver({ endpoint: rejecting.code, payload: { n: 3 } });
    const [errored] = await settled(rejecting.code);
    expect(errored.state).toBe('error');
    expect(errored.attempts).toBe(1);
    expect(errored.last_error).toContain('400');
  });

  it('honours Retry-After on a 429', async () => {
    const { code } = await endpoint({
      retryPolicy: { ...fastRetries, initialDelaySeconds: 30, maxDelaySeconds: 60 },
    });
    sink.script.push({ status: 429, headers: { 'retry-after': '2' } });
    await publisher.deliver({ endpoint: code, payload: { n: 4 } });
    const [delivery] = await settled(code);
    expect(delivery.state).toBe('done');
    const gap = sink.requests[1].at - sink.requests[0].at;
    expect(gap).toBeGreaterThanOrEqual(1800);
    expect(gap).toBeLessThan(15_000);
  });

  it('retries when the target port is closed', async () => {
    const closed = await startSink();
    const target = closed.url;
    await closed.close();
    const { code } = await endpoint({
      targetHost: target,
      retryPolicy: { ...fastRetries, maxAttempts: 2 },
    });
    await publisher.deliver({ endpoint: code, payload: { n: 5 } });
    const [delivery] = await settled(code);
    expect(delivery.state).toBe('dead_letter');
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(2);
    expect(attempts[0].error_class).toBe('connection_refused');
  });

  it('fans out an event type to subscribed endpoints only, once per idempotency key', async () => {
    const type = `order${Date.now().toString(36)}`;
    const a = await endpoint({ eventTypes: [`${type}.paid`] });
    const b = await endpoint({ eventTypes: [`${type}.*`] });
    const c = await endpoint({ eventTypes: ['other.thing', `${type}.paid`] });
    const d = await endpoint({ eventTypes: [`${type}.refunded`] });
    const key = unique('pub');
    await publisher.publish({ eventType: `${type}.paid`, payload: { id: 1 }, idempotencyKey: key });
    for (const e of [a, b, c]) await settled(e.code);
    expect(await deliveriesOf(d.code)).toHaveLength(0);
    await publisher.publish({ eventType: `${type}.paid`, payload: { id: 1 }, idempotencyKey: key });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const e of [a, b, c]) expect(await deliveriesOf(e.code)).toHaveLength(1);
    expect(sink.requests.filter((r) => r.body.toString().includes('"id":1'))).toHaveLength(3);
  });

  it('re-adds a queued delivery whose job was lost while other jobs still cover the backlog', async () => {
    const target = await endpoint({});
    const [{ tenant_id: tenantId }] = await query<{ tenant_id: string }>(
      db(),
      `SELECT tenant_id FROM outbound_endpoints WHERE id = $1`,
      [target.id],
    );
    const jobs = new Queue(QueueName.OutboundDeliveries, {
      connection: { url: process.env.REDIS_URL },
      prefix: process.env.QUEUE_PREFIX,
    });
    const worker = harness.dispatcherApp!.get(LeasedItemProcessor).worker;
    await worker.pause();
    try {
      // Two queued rows without any job: one due for an hour (lost: a group carrying it
      // would long have run), one due for 100 s (overdue, but maybe waiting in a group).
      const rows = await query<{ id: string; age: string }>(
        db(),
        `INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, state, payload, next_attempt_at)
         SELECT $1, $2, $3, 'queued', jsonb_build_object('age', age), now() - make_interval(secs => age)
           FROM unnest(ARRAY[3600, 100]) AS age
         RETURNING id, payload->>'age' AS age`,
        [tenantId, target.id, target.code],
      );
      const lost = rows.find((r) => r.age === '3600')!.id;
      const recent = rows.find((r) => r.age === '100')!.id;
      // A runnable job for a delivery that does not exist: the queue "covers" two due rows,
      // so the backlog pass does not re-add them; only the rescue can.
      await jobs.add('send', { deliveryId: randomUUID() }, { jobId: `stray-${randomUUID()}` });

      const pass = await harness.dispatcherApp!.get(LeaseReconciler).reconcile();
      expect(pass.rescued).toBeGreaterThanOrEqual(1);
      // The rescue may carry `lost` alone or in a group with other overdue deliveries (rows
      // an earlier test left due while this worker was paused): look in every runnable job.
      const carried = (await jobs.getJobs(['waiting', 'prioritized', 'delayed'])).flatMap((job) =>
        OUTBOUND_DELIVERY_WORK.idsOf(job),
      );
      expect(carried).toContain(lost);
      expect(carried).not.toContain(recent);
    } finally {
      await worker.resume();
      await jobs.close();
    }
    await waitFor(
      async () => {
        const [row] = await query<{ state: string }>(
          db(),
          `SELECT state FROM deliveries WHERE payload->>'age' = '3600' AND endpoint_id = $1`,
          [target.id],
        );
        return row?.state === 'done' ? row : undefined;
      },
      { timeoutMs: 30_000, what: 'the lost delivery to be sent' },
    );
    // The other row is still waiting for its (absent) group; a later pass takes it. Cancel
    // it so no later test sees it.
    await query(
      db(),
      `UPDATE deliveries SET state = 'canceled' WHERE endpoint_id = $1 AND state = 'queued'`,
      [target.id],
    );
  });
});

describe('outbound SSRF guard (private networks not allowed)', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;
  const prefix = `${process.env.QUEUE_PREFIX}_ssrf`;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false', QUEUE_PREFIX: prefix },
    });
    sink = await startSink();
    publisher = new HookgatePublisher({ redisUrl: process.env.REDIS_URL, prefix });
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  it.each([['127.0.0.1'], ['localhost'], ['[::1]']])(
    'refuses %s without connecting',
    async (host) => {
      const code = unique('ssrf');
      const res = await harness.admin('/outbound-endpoints', {
        body: {
          code,
          name: code,
          state: 'active',
          method: 'POST',
          bodyMode: 'json',
          targetHost: `http://${host}:${sink.port}`,
          targetPath: '/x',
        },
      });
      expect(res.status).toBe(201);
      await publisher.deliver({ endpoint: code, payload: { n: 1 } });
      const delivery = await waitFor(async () => {
        const rows = await query<{ id: string; state: string; last_error: string }>(
          db(),
          `SELECT id, state, last_error FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        return rows[0] && rows[0].state === 'error' ? rows[0] : undefined;
      });
      expect(delivery.last_error).toMatch(/refused/i);
      const [attempt] = await query<{ error_class: string }>(
        db(),
        `SELECT error_class FROM delivery_attempts WHERE delivery_id = $1`,
        [delivery.id],
      );
      expect(attempt.error_class).toBe('refused_address');
      expect(sink.connections).toBe(0);
    },
  );
});
