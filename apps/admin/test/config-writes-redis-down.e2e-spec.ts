import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { type Sink, type SinkRequest } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';
import type { PrivateRedis } from '../../../test/chaos/support/private-redis';
import {
  startPrivateRedisStack,
  type PrivateRedisStack,
} from '../../../test/support/private-redis-stack';

/**
 * Configuration writes that commit to Postgres and then announce the change over Redis
 * (`POST /outbound-endpoints/:id/rotate-secret`, `POST /connectors/:id/links`) while Redis
 * is down: the announcement is lost, but the write must answer its success status by a
 * deadline (no hang, no 5xx) with the row and its audit entry committed. Once Redis is back
 * the dispatcher — whose cache held the endpoint before the rotation and never heard the
 * announcement — must sign with both secrets within its cache TTL (ENDPOINT_CACHE_TTL_MS,
 * 5 s by default), and the link must route "connector, suffix" deliveries. Runs on a Redis
 * server of its own: the shared one is never stopped.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;
const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;
const CACHE_TTL_MS = 5_000;
const WRITE_DEADLINE_MS = 10_000;

describe('admin API: configuration writes while Redis is down', () => {
  let redis: PrivateRedis;
  let harness: Harness;
  let sink: Sink;
  let stack: PrivateRedisStack;

  beforeAll(async () => {
    stack = await startPrivateRedisStack();
    ({ redis, harness, sink } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const verifies = (secret: string, request: SinkRequest): boolean => {
    try {
      new Webhook(secret).verify(
        request.body.toString(),
        request.headers as Record<string, string>,
      );
      return true;
    } catch {
      return false;
    }
  };

  /** Sends one delivery to `code` and answers the request the sink received for it. */
  async function sendOne(code: string, marker: string, timeoutMs = 30_000): Promise<SinkRequest> {
    const res = await harness.admin('/deliveries', {
      body: { endpoint: code, payload: { marker } },
    });
    expect(res.status).toBe(202);
    return waitFor(
      async () => sink.requests.find((r) => r.body.toString().includes(`"${marker}"`)),
      { timeoutMs, what: `the sink receives ${marker}` },
    );
  }

  const auditCount = async (action: string, entityId: string) =>
    (
      await query<{ n: number }>(
        db(),
        `SELECT count(*)::int AS n FROM audit_entries WHERE action = $1 AND entity_id = $2`,
        [action, entityId],
      )
    )[0].n;

  it('rotates a secret and links an endpoint by the deadline, commits both, and signs with both secrets once Redis is back', async () => {
    // Set up while Redis is up: a signed endpoint the dispatcher has cached, a connector,
    // and a second endpoint to link into the connector's slot.
    const oldSecret = whsec();
    const code = unique('rot-redis-down');
    const created = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        signing: { type: 'standard-webhooks', secret: oldSecret },
      }),
    });
    expect(created.status).toBe(201);
    const endpointId: string = created.body.id;
    const warm = await sendOne(code, unique('warm'));
    expect(String(warm.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(oldSecret, warm)).toBe(true);

    const connectorRes = await harness.admin('/connectors', {
      body: {
        kind: 'stripe',
        code: unique('stripe-redis-down'),
        name: 'Stripe, Redis down',
        baseUrl: sink.url,
        credentials: { secretKey: 'sk_test_redis_down_0123', webhookSecret: 'whsec_rd_0123' },
      },
    });
    expect(connectorRes.status).toBe(201);
    const connector = connectorRes.body as { id: string; code: string; technicalPrefix: string };
    const toLink = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(unique('hand-redis-down'), sink.url, { targetPath: '/hand' }),
    });
    expect(toLink.status).toBe(201);
    const [secretsBefore] = await query<{ secrets: Record<string, string> }>(
      db(),
      `SELECT secrets FROM outbound_endpoints WHERE id = $1`,
      [endpointId],
    );

    await redis.kill();

    // (1) The rotation answers 200 by the deadline and is committed with its audit entry.
    let started = Date.now();
    const rotated = await harness.admin(`/outbound-endpoints/${endpointId}/rotate-secret`, {
      body: { overlapSeconds: 3600 },
    });
    const rotatedAt = Date.now();
    expect({ status: rotated.status, body: rotated.body }).toMatchObject({ status: 200 });
    expect(rotatedAt - started).toBeLessThan(WRITE_DEADLINE_MS);
    const newSecret: string = rotated.body.secret;
    expect(newSecret).toMatch(/^whsec_/);
    const [secretsAfter] = await query<{ secrets: Record<string, string> }>(
      db(),
      `SELECT secrets FROM outbound_endpoints WHERE id = $1`,
      [endpointId],
    );
    expect(Object.keys(secretsAfter.secrets).sort()).toEqual([
      'previousSigningSecret',
      'signingSecret',
    ]);
    expect(secretsAfter.secrets).not.toEqual(secretsBefore.secrets);
    expect(await auditCount('outbound-endpoint.rotate-secret', endpointId)).toBe(1);

    // (2) The link answers 200 by the deadline and is committed with its audit entry.
    started = Date.now();
    const linked = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: toLink.body.id, codeSuffix: 'invoices' },
    });
    expect({ status: linked.status, body: linked.body }).toMatchObject({ status: 200 });
    expect(Date.now() - started).toBeLessThan(WRITE_DEADLINE_MS);
    const linkedCode = `${connector.technicalPrefix}-invoices`;
    const [linkRow] = await query<{ code: string; connector_id: string; code_suffix: string }>(
      db(),
      `SELECT code, connector_id, code_suffix FROM outbound_endpoints WHERE id = $1`,
      [toLink.body.id],
    );
    expect(linkRow).toEqual({
      code: linkedCode,
      connector_id: connector.id,
      code_suffix: 'invoices',
    });
    expect(await auditCount('connector.link', connector.id)).toBe(1);

    await redis.restart();

    // The dispatcher never heard of the rotation; its cache must let the old configuration
    // go within the TTL. A delivery dispatched inside the TTL may still carry only the old
    // signature (that is the documented fallback); one sent after it must carry both.
    const first = await sendOne(code, unique('first-after'));
    const firstSignatures = String(first.headers['webhook-signature']).split(' ');
    expect(verifies(oldSecret, first)).toBe(true);
    if (firstSignatures.length === 1) {
      expect(Date.now() - rotatedAt).toBeLessThan(CACHE_TTL_MS + 30_000);
    }
    const wait = Math.max(0, rotatedAt + CACHE_TTL_MS + 500 - Date.now());
    await new Promise((resolve) => setTimeout(resolve, wait));
    const fresh = await sendOne(code, unique('fresh'));
    expect(String(fresh.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(newSecret, fresh)).toBe(true);
    expect(verifies(oldSecret, fresh)).toBe(true);
    expect(verifies(whsec(), fresh)).toBe(false);

    // The link routes "connector, suffix" deliveries to the linked endpoint with its auth.
    const before = sink.requests.length;
    const delivery = await harness.admin('/deliveries', {
      body: { connector: connector.code, suffix: 'invoices', payload: { amount: 7 } },
    });
    expect([201, 202]).toContain(delivery.status);
    const arrived = await waitFor(
      () => sink.requests.slice(before).find((r) => r.url === '/hand'),
      { timeoutMs: 30_000, what: 'the linked delivery at the sink' },
    );
    expect(arrived.headers.authorization).toBe('Bearer sk_test_redis_down_0123');
    expect(JSON.parse(arrived.body.toString('utf8'))).toEqual({ amount: 7 });
  });
});
