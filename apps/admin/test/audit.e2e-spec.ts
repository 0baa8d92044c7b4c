import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { post, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';
import { hashApiKey } from '../src/auth/api-key.guard';

/**
 * The audit log against the real admin app and Postgres: every configuration change and
 * operator action writes one entry with the acting key, the action, the entity and
 * redacted before/after; `GET /audit` filters and pages them.
 */
const db = () => process.env.DATABASE_URL!;
const SECRETS = {
  inbound: 'audit-inbound-hmac-secret-0001',
  inboundRotated: 'audit-inbound-hmac-secret-0002',
  metaToken: 'audit-meta-verify-token-0003',
  whsec: 'whsec_' + Buffer.from('audit-outbound-signing-secret-04').toString('base64'),
  bearer: 'audit-bearer-token-0005',
  bearerRotated: 'audit-bearer-token-0006',
};

describe('admin API: audit log', () => {
  let harness: Harness;
  let bootstrapKeyId: string;

  beforeAll(async () => {
    harness = await startHarness();
    [{ id: bootstrapKeyId }] = await query<{ id: string }>(
      db(),
      `SELECT id FROM api_keys WHERE key_hash = $1`,
      [hashApiKey(TEST_ADMIN_KEY)],
    );
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function entriesFor(entityId: string): Promise<any[]> {
    const res = await harness.admin(`/audit?entityId=${entityId}&limit=100`);
    expect(res.status).toBe(200);
    return [...res.body.items].reverse();
  }

  it('records handler create, update and archive with the acting key', async () => {
    const code = unique('audit-h');
    const created = await harness.admin('/handlers', {
      body: { code, name: 'Audited', direction: 'inbound', executionMode: 'rules' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      (
        await harness.admin(`/handlers/${id}`, {
          method: 'PUT',
          body: { name: 'Renamed', executionMode: 'rules' },
        })
      ).status,
    ).toBe(200);
    expect((await harness.admin(`/handlers/${id}`, { method: 'DELETE' })).status).toBe(200);

    const entries = await entriesFor(id);
    expect(entries.map((e) => e.action)).toEqual([
      'handler.create',
      'handler.update',
      'handler.archive',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        apiKeyId: bootstrapKeyId,
        actor: 'bootstrap (ADMIN_API_KEY)',
        entityType: 'handler',
        entityId: id,
      });
    }
    expect(entries[0].before).toBeNull();
    expect(entries[0].after).toMatchObject({ code, name: 'Audited', active: true });
    expect(entries[1].before).toMatchObject({ name: 'Audited' });
    expect(entries[1].after).toMatchObject({ name: 'Renamed' });
    expect(entries[2].after).toMatchObject({ active: false });
  });

  it('records every inbound and outbound endpoint change with secrets redacted', async () => {
    const handler = await harness.admin('/handlers', {
      body: { code: unique('audit-in'), name: 'in', direction: 'inbound', executionMode: 'rules' },
    });
    const path = unique('audit');
    const inbound = await harness.admin('/inbound-endpoints', {
      body: {
        name: path,
        path,
        handler: handler.body.code,
        signature: { mode: 'hmac', preset: 'github', secret: SECRETS.inbound },
        handshakes: { meta: { verifyToken: SECRETS.metaToken } },
      },
    });
    expect(inbound.status).toBe(201);
    const id = inbound.body.id;
    const rotated = await harness.admin(`/inbound-endpoints/${id}`, {
      method: 'PUT',
      body: {
        name: 'rotated',
        signature: { mode: 'hmac', preset: 'github', secret: SECRETS.inboundRotated },
      },
    });
    expect(rotated.status).toBe(200);
    expect((await harness.admin(`/inbound-endpoints/${id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    const inboundEntries = await entriesFor(id);
    expect(inboundEntries.map((e) => e.action)).toEqual([
      'inbound-endpoint.create',
      'inbound-endpoint.update',
      'inbound-endpoint.deactivate',
    ]);
    expect(inboundEntries[0].after.signature).toMatchObject({ mode: 'hmac', secretSet: true });
    expect(inboundEntries[0].after.handshakes.meta).toEqual({ verifyTokenSet: true });
    expect(inboundEntries[1].before).toMatchObject({ name: path });
    expect(inboundEntries[1].after).toMatchObject({ name: 'rotated' });
    expect(inboundEntries[2].after).toMatchObject({ active: false });

    const code = unique('audit-out');
    const outbound = await harness.admin('/outbound-endpoints', {
      body: {
        code,
        name: 'out',
        state: 'draft',
        targetHost: 'http://127.0.0.1:9',
        signing: { type: 'standard-webhooks', secret: SECRETS.whsec },
        auth: { type: 'bearer', token: SECRETS.bearer },
      },
    });
    expect(outbound.status).toBe(201);
    const outId = outbound.body.id;
    const duplicate = await harness.admin('/outbound-endpoints', {
      body: { code, name: 'dup', targetHost: 'http://127.0.0.1:9' },
    });
    expect(duplicate.status).toBe(409);
    expect(
      (
        await harness.admin(`/outbound-endpoints/${outId}`, {
          method: 'PUT',
          body: { name: 'out 2', auth: { type: 'bearer', token: SECRETS.bearerRotated } },
        })
      ).status,
    ).toBe(200);
    expect(
      (await harness.admin(`/outbound-endpoints/${outId}/activate`, { body: {} })).status,
    ).toBe(200);
    const test = await harness.admin(`/outbound-endpoints/${outId}/test`, { body: {} });
    expect(test.status).toBe(202);
    expect((await harness.admin(`/outbound-endpoints/${outId}/archive`, { body: {} })).status).toBe(
      200,
    );
    const outboundEntries = await entriesFor(outId);
    expect(outboundEntries.map((e) => e.action)).toEqual([
      'outbound-endpoint.create',
      'outbound-endpoint.update',
      'outbound-endpoint.activate',
      'outbound-endpoint.test',
      'outbound-endpoint.archive',
    ]);
    expect(outboundEntries[0].after).toMatchObject({
      code,
      signing: { type: 'standard-webhooks', secretSet: true },
      auth: { type: 'bearer', secretSet: true },
    });
    expect(outboundEntries[2]).toMatchObject({
      before: { state: 'draft' },
      after: { state: 'active' },
    });
    expect(outboundEntries[3].after).toMatchObject({ deliveryId: test.body.id, isTest: true });
    expect(outboundEntries[4].after).toMatchObject({ state: 'archived' });

    // Nothing secret in any entry, as answered or as stored (and no envelopes either).
    const stored = await query<{ text: string }>(
      db(),
      `SELECT row_to_json(a)::text AS text FROM audit_entries a WHERE entity_id = ANY($1)`,
      [[id, outId]],
    );
    expect(stored).toHaveLength(8);
    const everything =
      JSON.stringify([inboundEntries, outboundEntries]) + stored.map((r) => r.text);
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/v1:[A-Za-z0-9_-]+:/);
  });

  it('records key and tenant changes without the key or its hash', async () => {
    const created = await harness.admin('/api-keys', {
      body: { name: 'audited key', role: 'operator' },
    });
    expect(created.status).toBe(201);
    expect((await harness.admin(`/api-keys/${created.body.id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    const entries = await entriesFor(created.body.id);
    expect(entries.map((e) => e.action)).toEqual(['api-key.create', 'api-key.revoke']);
    expect(entries[0].after).toMatchObject({ name: 'audited key', role: 'operator' });
    expect(entries[1].after.revokedAt).not.toBeNull();
    const [{ key_hash }] = await query<{ key_hash: string }>(
      db(),
      `SELECT key_hash FROM api_keys WHERE id = $1`,
      [created.body.id],
    );
    const text = JSON.stringify(entries);
    expect(text).not.toContain(created.body.key);
    expect(text).not.toContain(key_hash);

    const tenant = await harness.admin('/tenant');
    const updated = await harness.admin('/tenant', {
      method: 'PUT',
      body: { retentionDays: tenant.body.retentionDays + 1 },
    });
    expect(updated.status).toBe(200);
    const [last] = (await harness.admin(`/audit?entity=tenant&entityId=${tenant.body.id}&limit=1`))
      .body.items;
    expect(last).toMatchObject({
      action: 'tenant.update',
      before: { retentionDays: tenant.body.retentionDays },
      after: { retentionDays: tenant.body.retentionDays + 1 },
    });
    // Other specs in this run share the default tenant: leave its retention as it was.
    await harness.admin('/tenant', {
      method: 'PUT',
      body: { retentionDays: tenant.body.retentionDays },
    });
  });

  it('records operator actions on events and deliveries under the operator key', async () => {
    const operatorKey = `audit-operator-${Date.now().toString(36)}-0123456789`;
    const [operator] = await query<{ id: string }>(
      db(),
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix)
       SELECT id, 'night shift', 'operator', $1, 'audit-op' FROM tenants WHERE name = 'default'
       RETURNING id`,
      [hashApiKey(operatorKey)],
    );
    const as = (path: string, body: unknown = {}) =>
      harness.admin(path, { key: operatorKey, body });

    const handler = await harness.admin('/handlers', {
      body: { code: unique('audit-ev'), name: 'ev', direction: 'inbound', executionMode: 'rules' },
    });
    const path = unique('audit-ev');
    const endpoint = await harness.admin('/inbound-endpoints', {
      body: { name: path, path, handler: handler.body.code },
    });
    const received = await post(harness, endpoint.body.url, JSON.stringify({ n: 1 }));
    const eventId = received.body.id;
    await waitFor(async () =>
      (await harness.admin(`/inbound-events/${eventId}`)).body.state === 'done' ? true : undefined,
    );
    await query(db(), `UPDATE inbound_events SET state = 'error' WHERE id = $1`, [eventId]);
    expect((await as(`/inbound-events/${eventId}/dead-letter`)).status).toBe(200);
    expect((await as(`/inbound-events/${eventId}/reset`)).status).toBe(200);
    await waitFor(async () =>
      (await harness.admin(`/inbound-events/${eventId}`)).body.state === 'done' ? true : undefined,
    );
    // A `received` event whose job was lost: what `process` is for.
    await query(db(), `UPDATE inbound_events SET state = 'received' WHERE id = $1`, [eventId]);
    expect((await as(`/inbound-events/${eventId}/process`)).status).toBe(200);
    expect((await as(`/inbound-events/${eventId}/reset`)).status).toBe(409);
    const events = await entriesFor(eventId);
    expect(events.map((e) => [e.action, e.before.state, e.after.state])).toEqual([
      ['inbound-event.dead-letter', 'error', 'dead_letter'],
      ['inbound-event.reset', 'dead_letter', 'received'],
      ['inbound-event.process', 'received', 'received'],
    ]);
    for (const entry of events) {
      expect(entry).toMatchObject({ apiKeyId: operator.id, actor: 'night shift' });
    }
    await waitFor(async () =>
      (await harness.admin(`/inbound-events/${eventId}`)).body.state === 'done' ? true : undefined,
    );
    const reprocess = await as('/inbound-events/reprocess', { endpoint: endpoint.body.id });
    expect(reprocess.status).toBe(200);

    const code = unique('audit-dl');
    await harness.admin('/outbound-endpoints', {
      body: { code, name: 'dl', state: 'draft', targetHost: 'http://127.0.0.1:9' },
    });
    const delivery = (await harness.admin('/deliveries', { body: { endpoint: code, payload: {} } }))
      .body;
    expect((await as(`/deliveries/${delivery.id}/cancel`)).status).toBe(200);
    expect((await as(`/deliveries/${delivery.id}/reset`)).status).toBe(200);
    expect((await as(`/deliveries/${delivery.id}/queue`)).status).toBe(200);
    expect((await as(`/deliveries/${delivery.id}/dead-letter`)).status).toBe(200);
    const replay = await as('/deliveries/replay', { endpoint: code });
    expect(replay).toMatchObject({ status: 200, body: { replayed: 1 } });
    await query(db(), `UPDATE deliveries SET state = 'canceled' WHERE id = $1`, [delivery.id]);
    const deliveries = await entriesFor(delivery.id);
    expect(deliveries.map((e) => [e.action, e.before.state, e.after.state])).toEqual([
      ['delivery.cancel', 'draft', 'canceled'],
      ['delivery.reset', 'canceled', 'draft'],
      ['delivery.queue', 'draft', 'queued'],
      ['delivery.dead-letter', 'queued', 'dead_letter'],
    ]);

    const bulk = await harness.admin(`/audit?action=delivery.replay&limit=1`);
    expect(bulk.body.items[0]).toMatchObject({
      actor: 'night shift',
      entityType: 'delivery',
      entityId: null,
      after: { filter: { endpoint: code }, replayed: 1 },
    });
    const reprocessed = await harness.admin(`/audit?action=inbound-event.reprocess&limit=1`);
    expect(reprocessed.body.items[0]).toMatchObject({
      actor: 'night shift',
      after: { filter: { endpoint: endpoint.body.id }, reprocessed: 0 },
    });
  });

  it('filters by entity, action and time, and pages with a cursor', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await harness.admin('/handlers', {
        body: {
          code: unique('audit-page'),
          name: 'p',
          direction: 'outbound',
          executionMode: 'rules',
        },
      });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await harness.admin(
        `/audit?entity=handler&action=handler.create&from=${encodeURIComponent(from)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((e: any) => e.entityId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);

    const future = await harness.admin(
      `/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(future.body.items).toEqual([]);
    const bad = await harness.admin('/audit?from=yesterday&limit=0&cursor=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['from', 'limit']);
    expect((await harness.admin('/audit?cursor=nope')).status).toBe(400);
  });
});
