import { startHarness, type Harness } from './support/harness';
import { unique } from './support/fixtures';
import { query } from './support/database';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * The Stripe kind's delivery hook (issue 26 item 5) through the admin API, the dispatcher
 * and a loopback fake of the Stripe API: a retry inside Stripe's 24-hour idempotency
 * window goes out with the same `Idempotency-Key`; a retry of a delivery older than that,
 * whose first attempt may have reached Stripe, is dead-lettered with the reason instead of
 * risking a second object.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;

describe('stripe connector: retries only while Stripe keeps the idempotency key', () => {
  let harness: Harness;
  let stripeApi: Sink;
  let endpointId: string;
  let connectorCode: string;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    stripeApi = await startSink();
    connectorCode = unique('stripe');
    const connector = await harness.admin('/connectors', {
      body: {
        kind: 'stripe',
        code: connectorCode,
        name: 'Stripe (idempotency window)',
        baseUrl: stripeApi.url,
        credentials: { secretKey: 'sk_test_window_0123', webhookSecret: 'whsec_window_0123' },
      },
    });
    expect(connector.status).toBe(201);
    const provisioned = await harness.admin(`/connectors/${connector.body.id}/provision`, {
      method: 'POST',
    });
    expect(provisioned.status).toBe(200);
    const [endpoint] = await query<{ id: string }>(
      db(),
      `SELECT id FROM outbound_endpoints WHERE connector_id = $1 AND code_suffix = 'customers'`,
      [connector.body.id],
    );
    endpointId = endpoint.id;
    const put = await harness.admin(`/outbound-endpoints/${endpointId}`, {
      method: 'PUT',
      body: {
        retryPolicy: { maxAttempts: 5, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 10 },
      },
    });
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    await stripeApi?.close();
    await harness?.close();
  });

  async function deliver(idempotencyKey: string): Promise<string> {
    const res = await harness.admin('/deliveries', {
      body: {
        connector: connectorCode,
        suffix: 'customers',
        payload: { email: `${idempotencyKey}@example.com` },
        idempotencyKey,
      },
    });
    expect(res.status).toBe(202);
    return res.body.id;
  }

  const row = (id: string) =>
    query<{ state: string; attempts: number; last_error: string | null }>(
      db(),
      `SELECT state, attempts, last_error FROM deliveries WHERE id = $1`,
      [id],
    ).then((rows) => rows[0]);

  const settled = (id: string) =>
    waitFor(
      async () => {
        const current = await row(id);
        return ['done', 'error', 'dead_letter'].includes(current.state) ? current : undefined;
      },
      { timeoutMs: 30_000, what: `delivery ${id} settles` },
    );

  const sentWith = (key: string) =>
    stripeApi.requests.filter((r) => r.headers['idempotency-key'] === key);

  it('retries a young delivery with the same Idempotency-Key', async () => {
    stripeApi.script.push({ status: 503, headers: { 'retry-after': '1' }, body: 'busy' });
    const key = unique('young');
    const id = await deliver(key);
    expect(await settled(id)).toMatchObject({ state: 'done', attempts: 2, last_error: null });
    const sent = sentWith(key);
    expect(sent.map((r) => r.url)).toEqual(['/v1/customers', '/v1/customers']);
  });

  it('dead-letters a retry once the delivery is older than Stripe’s 24 hours', async () => {
    stripeApi.script.push({ status: 503, headers: { 'retry-after': '3' }, body: 'busy' });
    const key = unique('old');
    const id = await deliver(key);
    // The first attempt failed and the retry waits its 3 s Retry-After: age the delivery
    // as if that first attempt had happened a day ago.
    await waitFor(
      async () => {
        const current = await row(id);
        return current.state === 'queued' && current.attempts === 1 ? current : undefined;
      },
      { timeoutMs: 20_000, what: 'the first attempt fails' },
    );
    await query(
      db(),
      `UPDATE deliveries SET created_at = now() - interval '25 hours' WHERE id = $1`,
      [id],
    );

    const final = await settled(id);
    expect(final.state).toBe('dead_letter');
    expect(final.last_error).toMatch(
      /^not re-sent to Stripe: the delivery is 25 h old and Stripe keeps idempotency keys for 24 h/,
    );
    expect(sentWith(key)).toHaveLength(1);
    const attempts = await query<{ n: string }>(
      db(),
      `SELECT count(*) AS n FROM delivery_attempts WHERE delivery_id = $1`,
      [id],
    );
    expect(Number(attempts[0].n)).toBe(1);
  });
});
