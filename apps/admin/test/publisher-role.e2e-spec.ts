import { randomUUID } from 'node:crypto';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';

/**
 * The `publisher` role (issue 25): the key a backend service holds. It publishes
 * (`POST /deliveries`, `POST /events`), reads deliveries, who it is and the build's
 * capabilities, and nothing else: every other
 * `/api/v1` route of the OpenAPI document answers it 403, the queue UI too. Its tenant is its key's:
 * another tenant's publisher finds none of these deliveries.
 */
const ALLOWED = new Set([
  'GET /api/v1/deliveries',
  'GET /api/v1/deliveries/{id}',
  'POST /api/v1/deliveries',
  'POST /api/v1/events',
  'GET /api/v1/me',
  'GET /api/v1/capabilities',
]);

describe('admin API: the publisher role', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function newKey(adminKey: string, role: string): Promise<{ key: string; role: string }> {
    const res = await harness.admin('/api-keys', {
      key: adminKey,
      body: { name: unique(role), role },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function newTenant(): Promise<{ name: string; adminKey: string }> {
    const name = unique('pub').toLowerCase();
    const res = await harness.admin('/tenants', { body: { name, retentionDays: 7 } });
    expect(res.status).toBe(201);
    return { name, adminKey: res.body.adminKey.key };
  }

  it('publishes and reads its deliveries; another tenant’s publisher sees none of them', async () => {
    const tenant = await newTenant();
    const publisher = await newKey(tenant.adminKey, 'publisher');
    expect(publisher.role).toBe('publisher');
    const code = unique('pub-ep');
    const type = `pubtype${Date.now().toString(36)}`;
    const endpoint = await harness.admin('/outbound-endpoints', {
      key: tenant.adminKey,
      body: sinkEndpointBody(code, 'http://127.0.0.1:9', { eventTypes: [`${type}.*`] }),
    });
    expect(endpoint.status).toBe(201);

    const me = await harness.admin('/me', { key: publisher.key });
    expect(me).toMatchObject({ status: 200, body: { role: 'publisher' } });

    const key = unique('idem');
    const delivered = await harness.admin('/deliveries', {
      key: publisher.key,
      body: { endpoint: code, payload: { n: 1 }, idempotencyKey: key },
    });
    expect(delivered.status).toBe(202);
    expect(delivered.body).toMatchObject({ endpointCode: code, idempotencyKey: key });
    const published = await harness.admin('/events', {
      key: publisher.key,
      body: { eventType: `${type}.paid`, payload: { n: 2 }, idempotencyKey: `${key}-evt` },
    });
    expect(published.status).toBe(202);
    expect(published.body.deliveries).toHaveLength(1);

    const listed = await harness.admin(`/deliveries?idempotencyKey=${key}`, {
      key: publisher.key,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([delivered.body.id]);
    const one = await harness.admin(`/deliveries/${delivered.body.id}`, { key: publisher.key });
    expect(one).toMatchObject({ status: 200, body: { id: delivered.body.id, attempts: [] } });
    // Publishing keys act on nothing: operator actions stay with operators.
    const reset = await harness.admin(`/deliveries/${delivered.body.id}/cancel`, {
      key: publisher.key,
      method: 'POST',
    });
    expect(reset.status).toBe(403);

    const other = await newTenant();
    const stranger = await newKey(other.adminKey, 'publisher');
    const theirs = await harness.admin(`/deliveries?idempotencyKey=${key}`, {
      key: stranger.key,
    });
    expect(theirs).toMatchObject({ status: 200, body: { items: [] } });
    const all = await harness.admin('/deliveries?limit=500', { key: stranger.key });
    expect(all.body.items).toEqual([]);
    expect(
      (await harness.admin(`/deliveries/${delivered.body.id}`, { key: stranger.key })).status,
    ).toBe(404);
    // Its own publish of the same key and code is its own (an unknown endpoint there).
    const own = await harness.admin('/deliveries', {
      key: stranger.key,
      body: { endpoint: code, payload: {}, idempotencyKey: key },
    });
    expect(own).toMatchObject({ status: 202, body: { state: 'dead_letter', duplicate: false } });
  });

  it('answers 403 on every other route of the API, configuration reads included', async () => {
    const publisher = await newKey(TEST_ADMIN_KEY, 'publisher');
    const doc = (await (await fetch(`${harness.adminUrl}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const refused: string[] = [];
    const answered: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue; // /health, /metrics: no key at all
      for (const method of Object.keys(operations)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const route = `${method.toUpperCase()} ${path}`;
        if (ALLOWED.has(route)) continue;
        const url = path
          .replace(/\{action\}/g, 'reset')
          .replace(/\{model\}/g, 'orders')
          .replace(/\{id\}/g, randomUUID());
        const res = await fetch(`${harness.adminUrl}${url}`, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${publisher.key}`, 'content-type': 'application/json' },
          body: method === 'get' || method === 'delete' ? undefined : '{}',
        });
        (res.status === 403 ? refused : answered).push(`${route} → ${res.status}`);
      }
    }
    expect(answered).toEqual([]);
    for (const route of [
      'GET /api/v1/outbound-endpoints',
      'GET /api/v1/handlers',
      'GET /api/v1/api-keys',
      'GET /api/v1/inbound-events',
      'POST /api/v1/deliveries/replay',
    ]) {
      expect(refused.map((r) => r.split(' → ')[0])).toContain(route);
    }
    const board = await fetch(`${harness.adminUrl}/api/queues`, {
      headers: { authorization: `Bearer ${publisher.key}` },
    });
    expect(board.status).toBe(403);

    // The routes it may call do answer it.
    for (const path of ['/me', '/capabilities', '/deliveries']) {
      expect((await harness.admin(path, { key: publisher.key })).status).toBe(200);
    }
  });

  it('operators still may not publish, and admins still may', async () => {
    const operator = await newKey(TEST_ADMIN_KEY, 'operator');
    const body = { endpoint: unique('nowhere'), payload: {} };
    expect((await harness.admin('/deliveries', { key: operator.key, body })).status).toBe(403);
    expect((await harness.admin('/deliveries', { body })).status).toBe(202);
  });
});
