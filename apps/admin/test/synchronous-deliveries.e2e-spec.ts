import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';
import { DeliveryWaiters } from '../src/deliveries/delivery-waiters';

/**
 * Synchronous sends (issue 26 item 2): `POST /api/v1/deliveries?wait=N` through the real
 * admin, Redis/BullMQ and dispatcher to loopback sinks. The answer is the first attempt's
 * outcome when it comes within the wait (200), else the usual 202; either way the delivery
 * is stored and retried as usual. Waiters are capped per process (3 here) and released when
 * the client goes away.
 */
jest.setTimeout(120_000);
const MAX_WAITERS = 3;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
  ms: number;
}

describe('admin API: synchronous deliveries (?wait=)', () => {
  let harness: Harness;
  const sinks: Sink[] = [];

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: {
        OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
        DELIVERY_WAIT_MAX_WAITERS: String(MAX_WAITERS),
      },
    });
  });

  afterAll(async () => {
    await Promise.all(sinks.map((sink) => sink.close()));
    await harness?.close();
  });

  async function sinkEndpoint(
    overrides: Record<string, unknown> = {},
  ): Promise<{ code: string; sink: Sink }> {
    const sink = await startSink();
    sinks.push(sink);
    const code = unique('sync');
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        retryPolicy: { maxAttempts: 5, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 1 },
        ...overrides,
      }),
    });
    if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
    return { code, sink };
  }

  async function deliver(
    body: Record<string, unknown>,
    search: string,
    init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Answer> {
    const started = Date.now();
    const res = await fetch(`${harness.adminUrl}/api/v1/deliveries${search}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        'content-type': 'application/json',
        ...init.headers,
      },
      body: JSON.stringify(body),
      signal: init.signal,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : null,
      headers: res.headers,
      ms: Date.now() - started,
    };
  }

  async function deliveryState(id: string): Promise<{ state: string; attempts: number }> {
    const [row] = await query<{ state: string; attempts: number }>(
      process.env.DATABASE_URL!,
      `SELECT state, (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts
         FROM deliveries d WHERE id = $1`,
      [id],
    );
    return row;
  }

  it("answers 200 with the sink's status, headers and body when it answers within the wait", async () => {
    const { code, sink } = await sinkEndpoint();
    sink.fallback = {
      status: 201,
      headers: { 'content-type': 'application/json', 'x-receipt': 'r-1', 'set-cookie': 'sid=1' },
      body: JSON.stringify({ received: true, order: 'A-1' }),
    };
    const answer = await deliver({ endpoint: code, payload: { order: 'A-1' } }, '?wait=10');

    expect(answer.status).toBe(200);
    // Woken by the dispatcher's notice, not by the deadline's read.
    expect(answer.ms).toBeLessThan(5_000);
    expect(answer.body.delivery).toMatchObject({ endpointCode: code, state: 'done' });
    expect(answer.body.attempt).toMatchObject({
      attemptNumber: 1,
      outcome: 'success',
      status: 201,
      bodyExcerpt: JSON.stringify({ received: true, order: 'A-1' }),
      bodyTruncated: false,
      error: null,
    });
    expect(answer.body.attempt.headers['x-receipt']).toBe('r-1');
    expect(answer.body.attempt.headers['set-cookie']).toBe('[redacted]');
    expect(answer.body.attempt.durationMs).toEqual(expect.any(Number));
    expect(sink.requests).toHaveLength(1);
    expect(JSON.parse(sink.requests[0].body.toString())).toEqual({ order: 'A-1' });
    expect(await deliveryState(answer.body.delivery.id)).toEqual({ state: 'done', attempts: 1 });
  });

  it('replays the 200 for the same Idempotency-Key, and a repeated idempotencyKey answers the stored attempt', async () => {
    const { code, sink } = await sinkEndpoint();
    sink.fallback = { status: 200, body: 'first' };
    const key = unique('idem');
    const body = { endpoint: code, payload: { n: 1 }, idempotencyKey: `${key}-body` };
    const first = await deliver(body, '?wait=10', { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(200);
    expect(first.body.attempt.bodyExcerpt).toBe('first');

    sink.fallback = { status: 200, body: 'second' };
    const replayed = await deliver(body, '?wait=10', { headers: { 'Idempotency-Key': key } });
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(first.body);

    // Another request (no header) with the same body key: the stored delivery, not sent again.
    const duplicate = await deliver(body, '?wait=10');
    expect(duplicate.status).toBe(200);
    expect(duplicate.body.delivery).toMatchObject({ id: first.body.delivery.id, duplicate: true });
    expect(duplicate.body.attempt.bodyExcerpt).toBe('first');
    expect(sink.requests).toHaveLength(1);
  });

  it('answers 202 when the sink is slower than the wait; the delivery still completes', async () => {
    const { code, sink } = await sinkEndpoint({ timeoutMs: 20_000 });
    sink.fallback = { status: 200, body: 'late', delayMs: 4_000 };
    const answer = await deliver({ endpoint: code, payload: { slow: true } }, '?wait=1');
    expect(answer.status).toBe(202);
    expect(answer.ms).toBeGreaterThanOrEqual(900);
    expect(answer.ms).toBeLessThan(3_500);
    expect(answer.body).toMatchObject({ endpointCode: code });
    expect(answer.body.attempt).toBeUndefined();
    await waitFor(
      async () => {
        const row = await deliveryState(answer.body.id);
        return row.state === 'done' ? row : undefined;
      },
      { what: 'the slow delivery to finish' },
    );
    expect(await deliveryState(answer.body.id)).toEqual({ state: 'done', attempts: 1 });
    expect(sink.requests).toHaveLength(1);
  });

  it("answers a failing first attempt's outcome; the delivery stays scheduled and is retried", async () => {
    const { code, sink } = await sinkEndpoint();
    sink.script = [{ status: 503, body: 'down for maintenance', headers: { 'retry-after': '1' } }];
    sink.fallback = { status: 200, body: 'back' };
    const answer = await deliver({ endpoint: code, payload: { n: 2 } }, '?wait=10');

    expect(answer.status).toBe(200);
    expect(answer.body.attempt).toMatchObject({
      attemptNumber: 1,
      outcome: 'retry',
      status: 503,
      bodyExcerpt: 'down for maintenance',
    });
    expect(answer.body.delivery.state).toBe('queued');
    expect(answer.body.delivery.nextAttemptAt).toEqual(expect.any(String));
    expect(answer.body.delivery.lastError).toMatch(/503/);
    await waitFor(
      async () => {
        const row = await deliveryState(answer.body.delivery.id);
        return row.state === 'done' ? row : undefined;
      },
      { what: 'the retry to succeed' },
    );
    expect(await deliveryState(answer.body.delivery.id)).toEqual({ state: 'done', attempts: 2 });
    expect(sink.requests).toHaveLength(2);
  });

  it('answers at once when nothing will be sent: an unknown endpoint (200, no attempt), a draft (202)', async () => {
    const unknown = await deliver({ endpoint: unique('nowhere'), payload: {} }, '?wait=10');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ delivery: { state: 'dead_letter' }, attempt: null });
    expect(unknown.ms).toBeLessThan(3_000);

    const { code, sink } = await sinkEndpoint({ state: 'draft' });
    const held = await deliver({ endpoint: code, payload: {} }, '?wait=10');
    expect(held.status).toBe(202);
    expect(held.body.state).toBe('draft');
    expect(held.ms).toBeLessThan(3_000);
    expect(sink.requests).toHaveLength(0);
  });

  it('refuses a wait beyond 30 s or not a number with 400 and a field error, storing nothing', async () => {
    const { code, sink } = await sinkEndpoint();
    for (const wait of ['31', 'soon', '-1', '2.5']) {
      const key = unique('bad-wait');
      const answer = await deliver(
        { endpoint: code, payload: {}, idempotencyKey: key },
        `?wait=${wait}`,
      );
      expect(answer.status).toBe(400);
      expect(answer.body.details.map((d: { field: string }) => d.field)).toEqual(['wait']);
      const listed = await harness.admin(`/deliveries?idempotencyKey=${key}`);
      expect(listed.body.items).toHaveLength(0);
    }
    expect(sink.requests).toHaveLength(0);
  });

  it('holds at most the cap of waiters; more answer 202 at once, and the admin keeps answering', async () => {
    const { code, sink } = await sinkEndpoint({ timeoutMs: 20_000 });
    sink.fallback = { status: 200, body: 'slow', delayMs: 2_500 };
    const waiters = harness.adminApp.get(DeliveryWaiters);
    const requests = Array.from({ length: MAX_WAITERS + 5 }, (_, i) =>
      deliver({ endpoint: code, payload: { i } }, '?wait=8'),
    );
    await waitFor(() => (waiters.size === MAX_WAITERS ? true : undefined), {
      what: 'the cap of waiters to fill',
    });
    const started = Date.now();
    const list = await harness.admin(`/deliveries?endpoint=${code}&limit=20`);
    expect(list.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_500);

    const answers = await Promise.all(requests);
    const waited = answers.filter((a) => a.status === 200);
    const turnedAway = answers.filter((a) => a.status === 202);
    expect(waited).toHaveLength(MAX_WAITERS);
    expect(turnedAway).toHaveLength(5);
    for (const a of turnedAway) expect(a.ms).toBeLessThan(2_000);
    for (const a of waited) expect(a.body.attempt.status).toBe(200);
    expect(waiters.size).toBe(0);
    await waitFor(() => (sink.requests.length === MAX_WAITERS + 5 ? true : undefined), {
      what: 'every delivery to reach the sink',
    });
  });

  it('releases the waiter when the client goes away; the delivery goes on', async () => {
    const { code, sink } = await sinkEndpoint({ timeoutMs: 20_000 });
    sink.fallback = { status: 200, body: 'later', delayMs: 3_000 };
    const waiters = harness.adminApp.get(DeliveryWaiters);
    const key = unique('gone');
    const gone = new AbortController();
    const pending = deliver({ endpoint: code, payload: {}, idempotencyKey: key }, '?wait=30', {
      signal: gone.signal,
    }).catch((error: unknown) => error);
    await waitFor(() => (waiters.size === 1 ? true : undefined), { what: 'the waiter' });
    gone.abort();
    await pending;
    await waitFor(() => (waiters.size === 0 ? true : undefined), {
      timeoutMs: 2_000,
      what: 'the waiter to be released',
    });
    const delivered = await waitFor(
      async () => {
        const listed = await harness.admin(`/deliveries?idempotencyKey=${key}`);
        return listed.body.items[0]?.state === 'done' ? listed.body.items[0] : undefined;
      },
      { what: 'the delivery to finish' },
    );
    expect(delivered.attemptCount).toBe(1);
    expect(sink.requests).toHaveLength(1);
  });
});
