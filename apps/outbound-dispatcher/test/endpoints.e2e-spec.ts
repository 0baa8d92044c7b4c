import { HookgatePublisher } from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Endpoint behaviour around the send: draft holding and activation, health (410 Gone,
 * consecutive failures and a span of failures disable), the per-endpoint rate limit,
 * endpoint auth with redacted snapshots, outbound handler rules, and test sends — against
 * the real dispatcher and admin API, Postgres, Redis and a loopback sink.
 */
jest.setTimeout(90_000);
const db = () => process.env.DATABASE_URL!;
const fastRetries = { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 2 };

describe('outbound endpoints at work', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', ENDPOINT_CACHE_TTL_MS: '200' },
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
    const code = unique('ep');
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        targetPath: '/in',
        retryPolicy: fastRetries,
        ...body,
      }),
    });
    if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function deliveries(code: string) {
    return query<{ id: string; state: string; attempts: number; last_error: string | null }>(
      db(),
      `SELECT id, state, attempts, last_error FROM deliveries WHERE endpoint_code = $1 ORDER BY created_at, id`,
      [code],
    );
  }

  async function until(code: string, count: number, states: string[]) {
    return waitFor(
      async () => {
        const rows = await deliveries(code);
        return rows.length === count && rows.every((r) => states.includes(r.state))
          ? rows
          : undefined;
      },
      { timeoutMs: 60_000, what: `${count} deliveries of ${code} in ${states.join('/')}` },
    );
  }

  it('holds deliveries of a draft endpoint and sends them once it is activated', async () => {
    const ep = await endpoint({ state: 'draft' });
    await publisher.deliver({ endpoint: ep.code, payload: { held: 1 } });
    await publisher.deliver({ endpoint: ep.code, payload: { held: 2 } });
    await until(ep.code, 2, ['draft']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sink.requests).toHaveLength(0);

    const activated = await harness.admin(`/outbound-endpoints/${ep.id}/activate`, { body: {} });
    expect(activated.status).toBeLessThan(300);
    const rows = await until(ep.code, 2, ['done']);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(sink.requests.map((r) => JSON.parse(r.body.toString()).held).sort()).toEqual([1, 2]);
  });

  it('disables an endpoint that answers 410 Gone and holds later deliveries', async () => {
    const ep = await endpoint({});
    sink.script.push({ status: 410, body: 'gone' });
    await publisher.deliver({ endpoint: ep.code, payload: { n: 1 } });
    const [first] = await until(ep.code, 1, ['error']);
    expect(first.last_error).toContain('410');
    const [row] = await query<{ disabled_at: Date | null; disabled_reason: string | null }>(
      db(),
      `SELECT disabled_at, disabled_reason FROM outbound_endpoints WHERE id = $1`,
      [ep.id],
    );
    expect(row.disabled_at).not.toBeNull();
    expect(row.disabled_reason).toContain('410');

    await publisher.deliver({ endpoint: ep.code, payload: { n: 2 } });
    await waitFor(async () => {
      const rows = await deliveries(ep.code);
      return rows.length === 2 && rows[1].state === 'draft' ? true : undefined;
    });
    expect(sink.requests).toHaveLength(1);

    // Re-enabling clears the reason and sends what was held.
    await harness.admin(`/outbound-endpoints/${ep.id}/activate`, { body: {} });
    await waitFor(async () => {
      const rows = await deliveries(ep.code);
      return rows[1]?.state === 'done' ? true : undefined;
    });
    const [after] = await query<{ disabled_at: Date | null }>(
      db(),
      `SELECT disabled_at FROM outbound_endpoints WHERE id = $1`,
      [ep.id],
    );
    expect(after.disabled_at).toBeNull();
  });

  it('disables an endpoint after its configured number of consecutive failures', async () => {
    const ep = await endpoint({
      health: { disableAfterFailures: 2 },
      retryPolicy: { ...fastRetries, maxAttempts: 5 },
    });
    sink.fallback = { status: 503 };
    await publisher.deliver({ endpoint: ep.code, payload: { n: 1 } });
    const row = await waitFor(async () => {
      const [r] = await query<{ disabled_reason: string | null }>(
        db(),
        `SELECT disabled_reason FROM outbound_endpoints WHERE id = $1`,
        [ep.id],
      );
      return r.disabled_reason ? r : undefined;
    });
    expect(row.disabled_reason).toContain('2 consecutive failed attempts');
    // The retry after the second failure finds the endpoint disabled: held, not sent.
    await until(ep.code, 1, ['draft']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sink.requests).toHaveLength(2);
  });

  describe('disabling after a span of failures (the clock moved by backdating the span)', () => {
    interface Health {
      consecutive_failures: number;
      failing_since: Date | null;
      disabled_reason: string | null;
    }
    const health = async (id: string) =>
      (
        await query<Health>(
          db(),
          `SELECT consecutive_failures, failing_since, disabled_reason FROM outbound_endpoints WHERE id = $1`,
          [id],
        )
      )[0];
    /** Says the endpoint has failed every attempt for `seconds` now. */
    const failingFor = (id: string, seconds: number) =>
      query(
        db(),
        `UPDATE outbound_endpoints SET failing_since = now() - make_interval(secs => $2) WHERE id = $1`,
        [id, seconds],
      );
    const failures = (id: string, count: number) =>
      waitFor(
        async () => {
          const row = await health(id);
          return row.consecutive_failures >= count ? row : undefined;
        },
        { what: `failure ${count} recorded` },
      );

    it('disables after the configured span, not before, and holds what follows', async () => {
      const ep = await endpoint({
        health: { disableAfterSeconds: 600 },
        retryPolicy: { ...fastRetries, maxAttempts: 20 },
      });
      sink.fallback = { status: 503 };
      await publisher.deliver({ endpoint: ep.code, payload: { n: 1 } });
      const first = await failures(ep.id, 1);
      expect(first.failing_since).not.toBeNull();
      // Nine minutes into a ten-minute span: the next failure counts, nothing is disabled.
      await failingFor(ep.id, 540);
      const later = await failures(ep.id, first.consecutive_failures + 1);
      expect(later.disabled_reason).toBeNull();
      // Past the span: the next failure disables it, with the span as the reason.
      await failingFor(ep.id, 660);
      const disabled = await waitFor(
        async () => {
          const row = await health(ep.id);
          return row.disabled_reason ? row : undefined;
        },
        { what: 'the endpoint to be disabled' },
      );
      expect(disabled.disabled_reason).toBe('every attempt failed for 11 min');
      // The retry after it is held, not sent.
      await until(ep.code, 1, ['draft']);
      const sent = sink.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(sink.requests).toHaveLength(sent);
      const view = await harness.admin(`/outbound-endpoints/${ep.id}`);
      expect(JSON.stringify(view.body)).toContain('every attempt failed for 11 min');
    });

    it('uses five days when the endpoint names no span', async () => {
      const ep = await endpoint({ retryPolicy: { ...fastRetries, maxAttempts: 20 } });
      sink.fallback = { status: 500 };
      await publisher.deliver({ endpoint: ep.code, payload: { n: 1 } });
      const first = await failures(ep.id, 1);
      await failingFor(ep.id, 5 * 86_400 - 3600);
      const later = await failures(ep.id, first.consecutive_failures + 1);
      expect(later.disabled_reason).toBeNull();
      await failingFor(ep.id, 5 * 86_400 + 60);
      const disabled = await waitFor(
        async () => {
          const row = await health(ep.id);
          return row.disabled_reason ? row : undefined;
        },
        { what: 'the endpoint to be disabled' },
      );
      expect(disabled.disabled_reason).toBe('every attempt failed for 5 days');
    });

    it('a success ends the span: its start and the failure count are reset', async () => {
      const ep = await endpoint({
        health: { disableAfterSeconds: 600 },
        retryPolicy: { ...fastRetries, maxAttempts: 20 },
      });
      sink.script.push({ status: 503 }, { status: 503 });
      await publisher.deliver({ endpoint: ep.code, payload: { n: 1 } });
      await failures(ep.id, 1);
      // Long failing, then the third attempt succeeds: the span and the count reset.
      await failingFor(ep.id, 540);
      await until(ep.code, 1, ['done']);
      const row = await health(ep.id);
      expect(row).toEqual({ consecutive_failures: 0, failing_since: null, disabled_reason: null });
    });
  });

  it('spreads deliveries over time under a rate limit without dropping any', async () => {
    const ep = await endpoint({ rateLimitPerSecond: 2 });
    await Promise.all(
      Array.from({ length: 6 }, (_, n) => publisher.deliver({ endpoint: ep.code, payload: { n } })),
    );
    await until(ep.code, 6, ['done']);
    expect(sink.requests).toHaveLength(6);
    const times = sink.requests.map((r) => r.at).sort((a, b) => a - b);
    // 6 deliveries at 2 per second need three one-second windows: more than a second apart.
    expect(times[5] - times[0]).toBeGreaterThanOrEqual(1000);
    const perSecond = new Map<number, number>();
    for (const t of times)
      perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(3);
  });

  it.each([
    [
      'basic',
      { type: 'basic', username: 'hook', password: 's3cret-pass' },
      (r: Sink['requests'][number]) =>
        expect(r.headers.authorization).toBe(
          'Basic ' + Buffer.from('hook:s3cret-pass').toString('base64'),
        ),
      's3cret-pass',
    ],
    [
      'bearer',
      { type: 'bearer', token: 'tok-abcdef-123456' },
      (r: Sink['requests'][number]) =>
        expect(r.headers.authorization).toBe('Bearer tok-abcdef-123456'),
      'tok-abcdef-123456',
    ],
    [
      'api_key in a header',
      { type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'key-in-header-999' },
      (r: Sink['requests'][number]) => expect(r.headers['x-api-key']).toBe('key-in-header-999'),
      'key-in-header-999',
    ],
    [
      'api_key in the query',
      { type: 'api_key', in: 'query', name: 'api_key', value: 'key-in-query-777' },
      (r: Sink['requests'][number]) =>
        expect(new URL(r.url, 'http://x').searchParams.get('api_key')).toBe('key-in-query-777'),
      'key-in-query-777',
    ],
  ])(
    'authenticates with %s and never stores the credential',
    async (_name, auth, check, secret) => {
      const ep = await endpoint({ auth });
      const read = await harness.admin(`/outbound-endpoints/${ep.id}`);
      expect(JSON.stringify(read.body)).not.toContain(secret);
      await publisher.deliver({ endpoint: ep.code, payload: { n: 1 } });
      const [delivery] = await until(ep.code, 1, ['done']);
      check(sink.requests[0]);
      const detail = await harness.admin(`/deliveries/${delivery.id}`);
      expect(detail.status).toBe(200);
      expect(detail.body.attempts).toHaveLength(1);
      expect(JSON.stringify(detail.body)).not.toContain(secret);
      const [stored] = await query<{ request: unknown }>(
        db(),
        `SELECT request FROM delivery_attempts WHERE delivery_id = $1`,
        [delivery.id],
      );
      expect(JSON.stringify(stored.request)).not.toContain(secret);
      // In a header `[redacted]`; in the query string, the same percent-encoded.
      expect(JSON.stringify(stored.request)).toMatch(/\[redacted\]|%5Bredacted%5D/);
    },
  );

  it('runs an outbound handler: a cancel rule stops matching deliveries before sending', async () => {
    const handlerCode = unique('outh');
    const created = await harness.admin('/handlers', {
      body: {
        code: handlerCode,
        name: handlerCode,
        direction: 'outbound',
        executionMode: 'rules',
        rules: [
          {
            sequence: 1,
            name: 'skip-internal',
            conditions: [{ path: 'internal', operator: '=', value: true }],
            action: 'cancel',
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    const ep = await endpoint({ handler: handlerCode });
    await publisher.deliver({ endpoint: ep.code, payload: { internal: true } });
    await publisher.deliver({ endpoint: ep.code, payload: { internal: false } });
    const rows = await until(ep.code, 2, ['canceled', 'done']);
    expect(rows.map((r) => r.state).sort()).toEqual(['canceled', 'done']);
    expect(sink.requests).toHaveLength(1);
    expect(JSON.parse(sink.requests[0].body.toString())).toEqual({ internal: false });
  });

  it('sends a test delivery that is marked and filterable as such', async () => {
    const ep = await endpoint({});
    const res = await harness.admin(`/outbound-endpoints/${ep.id}/test`, { body: {} });
    expect(res.status).toBe(202);
    await until(ep.code, 1, ['done']);
    expect(sink.requests).toHaveLength(1);
    const [row] = await query<{ is_test: boolean }>(
      db(),
      `SELECT is_test FROM deliveries WHERE endpoint_code = $1`,
      [ep.code],
    );
    expect(row.is_test).toBe(true);
    const listed = await harness.admin(`/deliveries?endpoint=${ep.code}&isTest=true`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
  });
});
