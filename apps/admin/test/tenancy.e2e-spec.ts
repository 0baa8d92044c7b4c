import { createHash } from 'node:crypto';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { post, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * Tenants, keys and roles against the real apps, Postgres and Redis: the default tenant's
 * admins create tenants; keys are hashed, shown once and revocable at once; operators act
 * on events but change no configuration; and tenant B can neither read, list, act on nor
 * reference tenant A's rows on any resource route.
 */
const db = () => process.env.DATABASE_URL!;

describe('admin API: tenants, keys, roles and isolation', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function call(
    key: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    return harness.admin(path, {
      key,
      method,
      body: body ?? (method === 'POST' || method === 'PUT' ? {} : undefined),
    });
  }

  async function newTenant(): Promise<{ id: string; name: string; key: string }> {
    const name = unique('t').toLowerCase();
    const res = await call(TEST_ADMIN_KEY, 'POST', '/tenants', { name, retentionDays: 7 });
    expect(res.status).toBe(201);
    return { id: res.body.tenant.id, name, key: res.body.adminKey.key };
  }

  async function newKey(adminKey: string, role: 'admin' | 'operator'): Promise<any> {
    const res = await call(adminKey, 'POST', '/api-keys', { name: unique(role), role });
    expect(res.status).toBe(201);
    return res.body;
  }

  describe('tenants', () => {
    it('lets default admins create a tenant with its first admin key, shown once', async () => {
      const name = unique('acme').toLowerCase();
      const created = await call(TEST_ADMIN_KEY, 'POST', '/tenants', { name, retentionDays: 14 });
      expect(created.status).toBe(201);
      expect(created.body.tenant).toMatchObject({ name, retentionDays: 14 });
      expect(created.body.adminKey).toMatchObject({ role: 'admin', name: 'initial admin' });
      const key: string = created.body.adminKey.key;
      expect(key).toMatch(/^hg_[A-Za-z0-9_-]{43}$/);

      const [row] = await query<{ key_hash: string; tenant_id: string }>(
        db(),
        `SELECT key_hash, tenant_id FROM api_keys WHERE id = $1`,
        [created.body.adminKey.id],
      );
      expect(row.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
      expect(row.tenant_id).toBe(created.body.tenant.id);

      const own = await call(key, 'GET', '/tenant');
      expect(own).toMatchObject({ status: 200, body: { name, retentionDays: 14 } });
      const changed = await call(key, 'PUT', '/tenant', { retentionDays: 90 });
      expect(changed).toMatchObject({ status: 200, body: { name, retentionDays: 90 } });
      const [stored] = await query<{ retention_days: number }>(
        db(),
        `SELECT retention_days FROM tenants WHERE id = $1`,
        [created.body.tenant.id],
      );
      expect(stored.retention_days).toBe(90);

      const listed = await call(TEST_ADMIN_KEY, 'GET', '/tenants');
      expect(listed.body.map((t: any) => t.name)).toEqual(
        expect.arrayContaining(['default', name]),
      );
      const keys = await call(key, 'GET', '/api-keys');
      expect(keys.status).toBe(200);
      expect(keys.body).toHaveLength(1);
      expect(JSON.stringify(keys.body)).not.toContain(key);
      expect(JSON.stringify(keys.body)).not.toContain(row.key_hash);
      expect(keys.body[0]).not.toHaveProperty('key');
    });

    it('refuses tenant management to everyone but default admins, and bad input', async () => {
      const other = await newTenant();
      const operator = await newKey(TEST_ADMIN_KEY, 'operator');
      const before = await query(db(), `SELECT count(*)::int AS n FROM tenants`);
      expect((await call(other.key, 'POST', '/tenants', { name: unique('x') })).status).toBe(403);
      expect((await call(other.key, 'GET', '/tenants')).status).toBe(403);
      expect((await call(operator.key, 'POST', '/tenants', { name: unique('x') })).status).toBe(
        403,
      );
      const bad = await call(TEST_ADMIN_KEY, 'POST', '/tenants', {
        name: 'Not A Slug',
        retentionDays: 0,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['name', 'retentionDays']);
      const duplicate = await call(TEST_ADMIN_KEY, 'POST', '/tenants', { name: other.name });
      expect(duplicate.status).toBe(409);
      expect(await query(db(), `SELECT count(*)::int AS n FROM tenants`)).toEqual(before);

      expect((await call(operator.key, 'PUT', '/tenant', { retentionDays: 3 })).status).toBe(403);
      expect((await call(operator.key, 'GET', '/tenant')).body.name).toBe('default');
      const rename = await call(TEST_ADMIN_KEY, 'PUT', '/tenant', { name: 'renamed' });
      expect(rename.status).toBe(400);
      expect((await call(other.key, 'PUT', '/tenant', { name: 'default' })).status).toBe(409);
    });
  });

  describe('keys and roles', () => {
    it('an operator resets an event but gets 403 on configuration; a revoked key gets 401 next', async () => {
      const operator = await newKey(TEST_ADMIN_KEY, 'operator');
      expect(operator.key).toBeDefined();
      const handler = await call(TEST_ADMIN_KEY, 'POST', '/handlers', {
        code: unique('roles'),
        name: 'roles',
        direction: 'inbound',
        executionMode: 'rules',
      });
      const path = unique('roles');
      const endpoint = await call(TEST_ADMIN_KEY, 'POST', '/inbound-endpoints', {
        name: path,
        path,
        handler: handler.body.code,
      });
      expect(endpoint.status).toBe(201);
      const received = await post(harness, endpoint.body.url, JSON.stringify({ a: 1 }));
      const eventId = received.body.id;
      await waitFor(async () => {
        const res = await call(operator.key, 'GET', `/inbound-events/${eventId}`);
        return res.body.state === 'done' ? true : undefined;
      });
      await query(db(), `UPDATE inbound_events SET state = 'dead_letter' WHERE id = $1`, [eventId]);

      const reset = await call(operator.key, 'POST', `/inbound-events/${eventId}/reset`);
      expect(reset.status).toBe(200);
      expect(reset.body.state).toBe('received');

      const count = async () =>
        (await query<{ n: number }>(db(), `SELECT count(*)::int AS n FROM outbound_endpoints`))[0]
          .n;
      const endpointsBefore = await count();
      const forbidden = await call(operator.key, 'POST', '/outbound-endpoints', {
        code: unique('op'),
        name: 'op',
        targetHost: 'http://127.0.0.1:9',
      });
      expect(forbidden).toMatchObject({
        status: 403,
        body: { statusCode: 403, error: 'Forbidden' },
      });
      expect(await count()).toBe(endpointsBefore);
      expect((await call(operator.key, 'POST', '/inbound-endpoints', {})).status).toBe(403);
      expect((await call(operator.key, 'GET', '/api-keys')).status).toBe(403);
      expect(
        (await call(operator.key, 'POST', '/api-keys', { name: 'x', role: 'admin' })).status,
      ).toBe(403);
      expect((await call(operator.key, 'GET', '/handlers')).status).toBe(200);

      const revoked = await call(TEST_ADMIN_KEY, 'DELETE', `/api-keys/${operator.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedAt).not.toBeNull();
      const after = await call(operator.key, 'GET', '/handlers');
      expect(after).toMatchObject({ status: 401, body: { statusCode: 401 } });
      expect((await call('hg_not-a-key', 'GET', '/handlers')).status).toBe(401);
    });

    it('validates keys, keeps the last admin key and revokes idempotently', async () => {
      const tenant = await newTenant();
      const bad = await call(tenant.key, 'POST', '/api-keys', { name: '', role: 'root' });
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['name', 'role']);
      const [{ id: firstAdmin }] = (await call(tenant.key, 'GET', '/api-keys')).body;
      const last = await call(tenant.key, 'DELETE', `/api-keys/${firstAdmin}`);
      expect(last.status).toBe(409);
      const second = await newKey(tenant.key, 'admin');
      expect((await call(second.key, 'DELETE', `/api-keys/${firstAdmin}`)).status).toBe(200);
      expect((await call(second.key, 'DELETE', `/api-keys/${firstAdmin}`)).status).toBe(200);
      expect((await call(tenant.key, 'GET', '/tenant')).status).toBe(401);
      expect((await call(second.key, 'DELETE', `/api-keys/not-a-uuid`)).status).toBe(404);
    });

    it('two admins revoking each other at once leave one admin key', async () => {
      const tenant = await newTenant();
      const [{ id: firstId }] = (await call(tenant.key, 'GET', '/api-keys')).body;
      const second = await newKey(tenant.key, 'admin');
      const results = await Promise.all([
        call(tenant.key, 'DELETE', `/api-keys/${second.id}`),
        call(second.key, 'DELETE', `/api-keys/${firstId}`),
      ]);
      // The loser is either already revoked when it asks (401) or loses the check (409).
      const statuses = results.map((r) => r.status).sort();
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      const [{ n }] = await query<{ n: number }>(
        db(),
        `SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`,
        [tenant.id],
      );
      expect(n).toBe(1);
    });
  });

  describe("tenant B and tenant A's rows", () => {
    const A = TEST_ADMIN_KEY;
    let B: string;
    const a: Record<string, any> = {};

    beforeAll(async () => {
      B = (await newTenant()).key;
      a.handler = (
        await call(A, 'POST', '/handlers', {
          code: unique('iso-in'),
          name: 'iso',
          direction: 'inbound',
          executionMode: 'rules',
        })
      ).body;
      a.outHandler = (
        await call(A, 'POST', '/handlers', {
          code: unique('iso-out'),
          name: 'iso out',
          direction: 'outbound',
          executionMode: 'rules',
        })
      ).body;
      const path = unique('iso');
      a.inbound = (
        await call(A, 'POST', '/inbound-endpoints', { name: path, path, handler: a.handler.code })
      ).body;
      a.outbound = (
        await call(A, 'POST', '/outbound-endpoints', {
          code: unique('iso-out'),
          name: 'iso',
          state: 'draft',
          targetHost: 'http://127.0.0.1:9',
          handler: a.outHandler.code,
        })
      ).body;
      expect(a.outbound.id).toBeDefined();
      a.delivery = (
        await call(A, 'POST', '/deliveries', { endpoint: a.outbound.code, payload: { x: 1 } })
      ).body;
      expect(a.delivery.state).toBe('draft');
      const received = await post(harness, a.inbound.url, JSON.stringify({ order: 1 }));
      expect(received.status).toBe(202);
      a.eventId = received.body.id;
      await waitFor(async () => {
        const res = await call(A, 'GET', `/inbound-events/${a.eventId}`);
        return res.body.state === 'done' ? true : undefined;
      });
      await query(db(), `UPDATE inbound_events SET state = 'dead_letter' WHERE id = $1`, [
        a.eventId,
      ]);
      a.model = unique('iso_model');
      [a.record] = await query<{ id: string }>(
        db(),
        `INSERT INTO records (tenant_id, model, data) SELECT tenant_id, $1, '{"n":1}' FROM handlers WHERE id = $2
         RETURNING id`,
        [a.model, a.handler.id],
      );
      a.key = await newKey(A, 'operator');
      const connector = await call(A, 'POST', '/connectors', {
        kind: 'generic-http',
        code: unique('iso-conn'),
        name: 'iso',
        baseUrl: 'http://127.0.0.1:9',
        credentials: { token: 'iso-connector-token' },
      });
      expect(connector.status).toBe(201);
      a.connector = connector.body;
    });

    async function snapshot(): Promise<unknown[]> {
      return query(
        db(),
        `SELECT (SELECT row_to_json(h) FROM handlers h WHERE id = $1) AS handler,
                (SELECT row_to_json(e) FROM inbound_endpoints e WHERE id = $2) AS inbound,
                (SELECT row_to_json(o) FROM outbound_endpoints o WHERE id = $3) AS outbound,
                (SELECT row_to_json(d) FROM deliveries d WHERE id = $4) AS delivery,
                (SELECT state FROM inbound_events WHERE id = $5) AS event_state,
                (SELECT revoked_at FROM api_keys WHERE id = $6) AS key_revoked,
                (SELECT row_to_json(c) FROM connectors c WHERE id = $7) AS connector,
                (SELECT count(*) FROM deliveries WHERE endpoint_id = $3) AS deliveries`,
        [
          a.handler.id,
          a.inbound.id,
          a.outbound.id,
          a.delivery.id,
          a.eventId,
          a.key.id,
          a.connector.id,
        ],
      );
    }

    it('answers 404 for every read and action on A ids, and changes nothing', async () => {
      const before = await snapshot();
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/handlers/${a.handler.id}`],
        ['POST', `/handlers/${a.handler.id}/simulate`, { payload: { order: 1 } }],
        ['PUT', `/handlers/${a.handler.id}`, { name: 'x', executionMode: 'rules' }],
        ['DELETE', `/handlers/${a.handler.id}`],
        ['GET', `/inbound-endpoints/${a.inbound.id}`],
        ['PUT', `/inbound-endpoints/${a.inbound.id}`, { name: 'x' }],
        ['DELETE', `/inbound-endpoints/${a.inbound.id}`],
        ['GET', `/inbound-events/${a.eventId}`],
        ['POST', `/inbound-events/${a.eventId}/reset`],
        ['POST', `/inbound-events/${a.eventId}/process`],
        ['POST', `/inbound-events/${a.eventId}/dead-letter`],
        ['GET', `/outbound-endpoints/${a.outbound.id}`],
        ['PUT', `/outbound-endpoints/${a.outbound.id}`, { name: 'x' }],
        ['DELETE', `/outbound-endpoints/${a.outbound.id}`],
        ['POST', `/outbound-endpoints/${a.outbound.id}/activate`],
        ['POST', `/outbound-endpoints/${a.outbound.id}/archive`],
        ['POST', `/outbound-endpoints/${a.outbound.id}/test`, {}],
        ['GET', `/deliveries/${a.delivery.id}`],
        ['POST', `/deliveries/${a.delivery.id}/reset`],
        ['POST', `/deliveries/${a.delivery.id}/queue`],
        ['POST', `/deliveries/${a.delivery.id}/dead-letter`],
        ['POST', `/deliveries/${a.delivery.id}/cancel`],
        ['GET', `/records/${a.model}/${a.record.id}`],
        ['DELETE', `/api-keys/${a.key.id}`],
        ['GET', `/connectors/${a.connector.id}`],
        ['PUT', `/connectors/${a.connector.id}`, { name: 'x' }],
        ['POST', `/connectors/${a.connector.id}/provision`],
      ];
      for (const [method, path, body] of routes) {
        const res = await call(B, method, path, body);
        expect({ route: `${method} ${path}`, status: res.status }).toEqual({
          route: `${method} ${path}`,
          status: 404,
        });
        expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
      expect(await snapshot()).toEqual(before);
      // A's own key still works on the same rows: the 404s were about the tenant.
      expect((await call(A, 'GET', `/deliveries/${a.delivery.id}`)).status).toBe(200);
      expect((await call(a.key.key, 'GET', `/handlers/${a.handler.id}`)).status).toBe(200);
    });

    it("never lists A's rows to B, and bulk actions by filter touch none of them", async () => {
      const aIds = [
        a.handler.id,
        a.outHandler.id,
        a.inbound.id,
        a.outbound.id,
        a.delivery.id,
        a.eventId,
        a.record.id,
        a.key.id,
        a.connector.id,
      ];
      const lists = [
        '/connectors',
        '/handlers',
        '/inbound-endpoints',
        '/inbound-events?limit=500',
        `/inbound-events?endpoint=${a.inbound.id}`,
        `/inbound-events?endpoint=${a.inbound.path}`,
        `/inbound-events?q=${a.eventId}`,
        '/outbound-endpoints?limit=500',
        '/deliveries?limit=500',
        `/deliveries?endpoint=${a.outbound.id}`,
        `/deliveries?endpoint=${a.outbound.code}`,
        `/records/${a.model}`,
        '/api-keys',
        '/audit?limit=500',
        `/audit?entityId=${a.handler.id}`,
      ];
      // Statistics: B's endpoints only (A has an event and a delivery, B none).
      const stats = await call(B, 'GET', '/stats');
      expect(stats.status).toBe(200);
      const statsText = JSON.stringify(stats.body);
      for (const id of aIds) expect(statsText).not.toContain(id);
      expect(statsText).not.toContain(a.outbound.code);
      expect(statsText).not.toContain(a.inbound.path);
      for (const path of lists) {
        const res = await call(B, 'GET', path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        const text = JSON.stringify(res.body);
        for (const id of aIds)
          expect({ path, leaked: text.includes(id) }).toEqual({ path, leaked: false });
      }
      const before = await snapshot();
      const reprocess = await call(B, 'POST', '/inbound-events/reprocess', {
        endpoint: a.inbound.id,
      });
      expect(reprocess).toMatchObject({ status: 200, body: { reprocessed: 0 } });
      expect((await call(B, 'POST', '/inbound-events/reprocess', {})).body.reprocessed).toBe(0);
      const replay = await call(B, 'POST', '/deliveries/replay', {
        endpoint: a.outbound.id,
        state: 'canceled',
      });
      expect(replay).toMatchObject({ status: 200, body: { replayed: 0 } });
      expect(await snapshot()).toEqual(before);
    });

    it("answers 400 when a body references A's handlers or endpoints, and keeps paths global", async () => {
      const count = async () =>
        query(
          db(),
          `SELECT (SELECT count(*) FROM handlers) AS h, (SELECT count(*) FROM inbound_endpoints) AS i,
                  (SELECT count(*) FROM outbound_endpoints) AS o, (SELECT count(*) FROM deliveries) AS d`,
        );
      const before = await count();
      const bodies: Array<[string, unknown, string]> = [
        [
          '/inbound-endpoints',
          { name: 'x', path: unique('b'), handler: a.handler.code },
          'handler',
        ],
        ['/inbound-endpoints', { name: 'x', path: unique('b'), handler: a.handler.id }, 'handler'],
        [
          '/outbound-endpoints',
          {
            code: unique('b'),
            name: 'x',
            targetHost: 'http://127.0.0.1:9',
            handler: a.outHandler.code,
          },
          'handler',
        ],
        [
          '/outbound-endpoints',
          {
            code: unique('b'),
            name: 'x',
            targetHost: 'http://127.0.0.1:9',
            handlerId: a.outHandler.id,
          },
          'handler',
        ],
        [
          '/handlers',
          {
            code: unique('b'),
            name: 'x',
            direction: 'inbound',
            executionMode: 'rules',
            rules: [{ sequence: 1, name: 'fwd', action: 'forward', forwardTo: a.outbound.code }],
          },
          'rules.0.forwardTo',
        ],
        [
          '/handlers',
          {
            code: unique('b'),
            name: 'x',
            direction: 'inbound',
            executionMode: 'rules',
            rules: [{ sequence: 1, name: 'fwd', action: 'forward', forwardTo: a.outbound.id }],
          },
          'rules.0.forwardTo',
        ],
        ['/deliveries', { endpoint: a.outbound.id, payload: {} }, 'endpoint'],
        [
          '/deliveries',
          { connector: a.connector.id, suffix: 'customers', payload: {} },
          'connector',
        ],
      ];
      for (const [path, body, field] of bodies) {
        const res = await call(B, 'POST', path, body);
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.body.details.map((d: any) => d.field)).toContain(field);
      }
      expect(await count()).toEqual(before);

      // Inbound paths are one public URL space: B cannot take A's path.
      const bHandler = await call(B, 'POST', '/handlers', {
        code: unique('b'),
        name: 'b',
        direction: 'inbound',
        executionMode: 'rules',
      });
      expect(bHandler.status).toBe(201);
      const taken = await call(B, 'POST', '/inbound-endpoints', {
        name: 'b',
        path: a.inbound.path,
        handler: bHandler.body.code,
      });
      expect(taken.status).toBe(409);

      // A code that B does not own is B's own unknown endpoint: a dead_letter row in B.
      const unknown = await call(B, 'POST', '/deliveries', {
        endpoint: a.outbound.code,
        payload: {},
      });
      expect(unknown.body).toMatchObject({ state: 'dead_letter', endpointId: null });
      const [row] = await query<{ tenant_id: string }>(
        db(),
        `SELECT tenant_id FROM deliveries WHERE id = $1`,
        [unknown.body.id],
      );
      const [own] = await query<{ id: string }>(
        db(),
        `SELECT tenant_id AS id FROM handlers WHERE id = $1`,
        [bHandler.body.id],
      );
      expect(row.tenant_id).toBe(own.id);
      expect(
        (
          await query(db(), `SELECT count(*)::int AS n FROM deliveries WHERE endpoint_id = $1`, [
            a.outbound.id,
          ])
        )[0],
      ).toEqual({ n: 1 });
    });
  });
});
