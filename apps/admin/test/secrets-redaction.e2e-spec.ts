import { HookgatePublisher } from '@app/messaging';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import {
  createHandler,
  createInboundEndpoint,
  post,
  sinkEndpointBody,
  unique,
} from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 21 item 13: the admin API showed secrets — a sender's `Authorization` and
 * `?token=` on inbound events, an endpoint's `X-Api-Token` header rule, a sink's
 * `set-cookie` in the attempt log. Secrets are write-only for every key (operator and
 * admin alike): they read `[redacted]`. Signature headers stay visible (debugging).
 */
jest.setTimeout(90_000);
const REDACTED = '[redacted]';
const db = () => process.env.DATABASE_URL!;

describe('secrets are write-only in the admin API', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;
  let operatorKey: string;
  let handler: string;

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
    const key = await harness.admin('/api-keys', {
      body: { name: unique('operator'), role: 'operator' },
    });
    expect(key.status).toBe(201);
    operatorKey = key.body.key;
    handler = (await createHandler(harness, {})).code;
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  const keys = () => [
    ['operator', operatorKey],
    ['admin', TEST_ADMIN_KEY],
  ];

  const senderHeaders = {
    authorization: 'Bearer sender-bearer-secret',
    'x-api-token': 'sender-api-token',
    cookie: 'sid=sender-cookie',
    'x-hub-signature-256': 'sha256=visible-signature',
    'x-request-id': 'visible-id',
  };

  it('redacts a sender’s credentials on inbound events, detail and list', async () => {
    const endpoint = await createInboundEndpoint(harness, { handler, signature: { mode: 'none' } });
    const res = await post(
      harness,
      `${endpoint.url}?token=query-secret&page=2&api_key=k`,
      '{"a":1}',
      senderHeaders,
    );
    expect(res.status).toBe(202);
    for (const [who, key] of keys()) {
      const event = await harness.admin(`/inbound-events/${res.body.id}`, { key });
      expect([who, event.status]).toEqual([who, 200]);
      expect(event.body.headers).toMatchObject({
        authorization: REDACTED,
        'x-api-token': REDACTED,
        cookie: REDACTED,
        'x-hub-signature-256': 'sha256=visible-signature',
        'x-request-id': 'visible-id',
      });
      expect(event.body.query).toEqual({ token: REDACTED, page: '2', api_key: REDACTED });
      expect(event.body.url).not.toContain('query-secret');
      expect(event.body.url).toContain('page=2');
      const list = await harness.admin(`/inbound-events?endpoint=${endpoint.path}`, { key });
      expect(JSON.stringify(list.body)).toContain(res.body.id);
      expect(JSON.stringify(list.body)).not.toMatch(/query-secret|sender-/);
      expect(JSON.stringify(event.body)).not.toMatch(
        /query-secret|sender-bearer|sender-api|sender-cookie/,
      );
    }
    // A received event keeps them as sent: rules, identities and re-processing read them.
    const [stored] = await query<{ headers: Record<string, string> }>(
      db(),
      `SELECT headers FROM inbound_events WHERE id = $1`,
      [res.body.id],
    );
    expect(stored.headers.authorization).toBe('Bearer sender-bearer-secret');
  });

  it('stores a rejected request with its credentials already redacted', async () => {
    const endpoint = await createInboundEndpoint(harness, {
      handler,
      signature: { mode: 'hmac', preset: 'github', secret: 'gh-secret-0123456789' },
    });
    const res = await post(harness, `${endpoint.url}?token=query-secret`, '{}', senderHeaders);
    expect(res.status).toBe(401);
    const [stored] = await query<{ headers: Record<string, string>; query: unknown; url: string }>(
      db(),
      `SELECT headers, query, url FROM inbound_events WHERE endpoint_path = $1 AND state = 'rejected'`,
      [endpoint.path],
    );
    expect(stored.headers.authorization).toBe(REDACTED);
    expect(stored.headers['x-hub-signature-256']).toBe('sha256=visible-signature');
    expect(stored.query).toEqual({ token: REDACTED });
    expect(stored.url).not.toContain('query-secret');
  });

  it('redacts header-rule values, the attempt’s request and the sink’s set-cookie', async () => {
    const code = unique('out');
    const created = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        headerRules: [
          { name: 'X-Api-Token', value: 'rule-token-secret' },
          { name: 'X-Tenant', value: 'acme' },
        ],
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.headerRules).toEqual([
      { name: 'X-Api-Token', value: REDACTED },
      { name: 'X-Tenant', value: 'acme' },
    ]);
    for (const [who, key] of keys()) {
      const read = await harness.admin(`/outbound-endpoints/${created.body.id}`, { key });
      expect([who, read.body.headerRules]).toEqual([
        who,
        [
          { name: 'X-Api-Token', value: REDACTED },
          { name: 'X-Tenant', value: 'acme' },
        ],
      ]);
    }

    // What was read, written back: the stored secret is kept, not replaced by the placeholder.
    const readBack = await harness.admin(`/outbound-endpoints/${created.body.id}`);
    const put = await harness.admin(`/outbound-endpoints/${created.body.id}`, {
      method: 'PUT',
      body: { headerRules: readBack.body.headerRules },
    });
    expect(put.status).toBe(200);
    const [row] = await query<{ header_rules: Array<{ name: string; value: string }> }>(
      db(),
      `SELECT header_rules FROM outbound_endpoints WHERE id = $1`,
      [created.body.id],
    );
    expect(row.header_rules[0]).toEqual({ name: 'X-Api-Token', value: 'rule-token-secret' });

    sink.requests.length = 0;
    sink.script.push({
      status: 200,
      headers: { 'content-type': 'text/plain', 'set-cookie': 'session=sink-session-secret' },
      body: 'ok',
    });
    await publisher.deliver({ endpoint: code, payload: { a: 1 }, idempotencyKey: unique('k') });
    const [delivery] = await waitFor(
      async () => {
        const rows = await query<{ id: string; state: string }>(
          db(),
          `SELECT id, state FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        return rows[0]?.state === 'done' ? rows : undefined;
      },
      { timeoutMs: 30_000, what: 'the delivery to be done' },
    );
    // The sink got the real value.
    expect(sink.requests[0].headers['x-api-token']).toBe('rule-token-secret');

    for (const [who, key] of keys()) {
      const detail = await harness.admin(`/deliveries/${delivery.id}`, { key });
      expect([who, detail.status]).toEqual([who, 200]);
      const [attempt] = detail.body.attempts;
      expect(attempt.responseHeaders['set-cookie']).toBe(REDACTED);
      expect(attempt.request.headers['X-Api-Token'] ?? attempt.request.headers['x-api-token']).toBe(
        REDACTED,
      );
      expect(JSON.stringify(detail.body)).not.toMatch(/rule-token-secret|sink-session-secret/);
    }
    // Redacted when stored: nothing reads the attempt's headers back.
    const [attemptRow] = await query<{ request: unknown; response_headers: unknown }>(
      db(),
      `SELECT request, response_headers FROM delivery_attempts WHERE delivery_id = $1`,
      [delivery.id],
    );
    expect(JSON.stringify(attemptRow)).not.toMatch(/rule-token-secret|sink-session-secret/);
  });
});
