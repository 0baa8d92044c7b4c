import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { Client } from 'pg';
import { defaultTenantId, query } from '../../../test/support/database';
import { searchSql } from '@app/persistence';
import { waitFor } from '../../../test/support/wait';

/**
 * What the console asks of the admin API beyond plain lists (issue 23), against the real
 * admin app, inbound worker, Postgres and Redis: deliveries found by idempotency key and by
 * the inbound event that forwarded them, and dry runs of bulk reprocess and replay that
 * count without changing or auditing anything. Every lookup is the caller's tenant only; an
 * operator may do each, as the real action allows.
 */
const db = () => process.env.DATABASE_URL!;

describe('admin API: console lookups and bulk dry runs', () => {
  let harness: Harness;
  let operatorKey: string;
  let otherTenantKey: string;

  beforeAll(async () => {
    harness = await startHarness();
    const operator = await harness.admin('/api-keys', {
      body: { name: unique('cl-operator'), role: 'operator' },
    });
    expect(operator.status).toBe(201);
    operatorKey = operator.body.key;
    const tenant = await harness.admin('/tenants', {
      body: { name: unique('cl-tenant').toLowerCase(), retentionDays: 7 },
    });
    expect(tenant.status).toBe(201);
    otherTenantKey = tenant.body.adminKey.key;
  });

  afterAll(async () => {
    // Nothing of ours is left for a dispatcher that a later spec in this run boots.
    await query(
      db(),
      `UPDATE deliveries SET state = 'canceled' WHERE endpoint_code LIKE 'cl-%' AND state IN ('draft', 'queued')`,
    );
    await harness?.close();
  });

  /** An outbound endpoint held as draft: its deliveries stay `draft`, nothing is sent. */
  async function draftEndpoint(): Promise<{ id: string; code: string }> {
    const code = unique('cl-out');
    const res = await harness.admin('/outbound-endpoints', {
      body: { code, name: code, state: 'draft', targetHost: 'http://127.0.0.1:9' },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function deliver(endpoint: string, idempotencyKey?: string): Promise<{ id: string }> {
    const res = await harness.admin('/deliveries', {
      body: { endpoint, payload: { n: 1 }, ...(idempotencyKey ? { idempotencyKey } : {}) },
    });
    expect(res.status).toBe(202);
    return res.body;
  }

  async function finished(id: string): Promise<any> {
    return waitFor(
      async () => {
        const event = await harness.admin(`/inbound-events/${id}`);
        return ['done', 'error', 'dead_letter'].includes(event.body.state) ? event.body : undefined;
      },
      { what: `event ${id} to finish`, timeoutMs: 60_000 },
    );
  }

  const auditCount = async (action: string): Promise<number> => {
    const [row] = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM audit_entries WHERE action = $1`,
      [action],
    );
    return row.n;
  };

  const ids = (res: { body: { items: Array<{ id: string }> } }) =>
    res.body.items.map((item) => item.id).sort();

  describe('GET /deliveries?idempotencyKey=', () => {
    it('finds deliveries by their exact key, in the caller’s tenant only', async () => {
      const first = await draftEndpoint();
      const second = await draftEndpoint();
      const key = unique('cl-key');
      const a = await deliver(first.code, key);
      // The key is unique per endpoint: another endpoint may hold the same one.
      const b = await deliver(second.code, key);
      await deliver(first.code, `${key}-other`);
      await deliver(first.code);

      const found = await harness.admin(`/deliveries?idempotencyKey=${encodeURIComponent(key)}`);
      expect(found.status).toBe(200);
      expect(ids(found)).toEqual([a.id, b.id].sort());
      expect(found.body.items[0].idempotencyKey).toBe(key);
      const narrowed = await harness.admin(
        `/deliveries?idempotencyKey=${encodeURIComponent(key)}&endpoint=${first.code}`,
      );
      expect(ids(narrowed)).toEqual([a.id]);
      // Exact, not a prefix or pattern.
      const prefix = await harness.admin(
        `/deliveries?idempotencyKey=${encodeURIComponent(key.slice(0, -1))}`,
      );
      expect(prefix.body.items).toEqual([]);
      const pattern = await harness.admin(`/deliveries?idempotencyKey=${encodeURIComponent('%')}`);
      expect(pattern.body.items).toEqual([]);

      const asOperator = await harness.admin(
        `/deliveries?idempotencyKey=${encodeURIComponent(key)}`,
        { key: operatorKey },
      );
      expect(ids(asOperator)).toEqual([a.id, b.id].sort());
      const asOtherTenant = await harness.admin(
        `/deliveries?idempotencyKey=${encodeURIComponent(key)}`,
        { key: otherTenantKey },
      );
      expect(asOtherTenant).toMatchObject({ status: 200, body: { items: [], nextCursor: null } });

      const tooLong = await harness.admin(`/deliveries?idempotencyKey=${'k'.repeat(256)}`);
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.details.map((d: { field: string }) => d.field)).toEqual([
        'idempotencyKey',
      ]);
    });
  });

  describe('GET /deliveries?sourceEventId=', () => {
    it('lists the deliveries an inbound event forwarded, in the caller’s tenant only', async () => {
      const target = await draftEndpoint();
      const handler = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'forward orders',
            conditions: [{ path: 'kind', operator: '=', value: 'order' }],
            action: 'forward',
            forwardTo: target.code,
            assignments: [{ field: 'order', source: { kind: 'payload', path: 'id' } }],
          },
          { sequence: 20, name: 'ignore the rest', action: 'done' },
        ],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const forwarded = await post(harness, endpoint.url, JSON.stringify({ kind: 'order', id: 1 }));
      const other = await post(harness, endpoint.url, JSON.stringify({ kind: 'order', id: 2 }));
      const ignored = await post(harness, endpoint.url, JSON.stringify({ kind: 'ping' }));
      for (const res of [forwarded, other, ignored]) expect(res.status).toBe(202);
      for (const res of [forwarded, other, ignored]) {
        expect((await finished(res.body.id)).state).toBe('done');
      }

      const list = await harness.admin(`/deliveries?sourceEventId=${forwarded.body.id}`);
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({
        endpointCode: target.code,
        sourceEventId: forwarded.body.id,
      });
      const detail = await harness.admin(`/deliveries/${list.body.items[0].id}`);
      expect(detail.body.payload).toEqual({ order: 1 });
      const none = await harness.admin(`/deliveries?sourceEventId=${ignored.body.id}`);
      expect(none.body.items).toEqual([]);

      const asOperator = await harness.admin(`/deliveries?sourceEventId=${forwarded.body.id}`, {
        key: operatorKey,
      });
      expect(ids(asOperator)).toEqual(ids(list));
      const asOtherTenant = await harness.admin(`/deliveries?sourceEventId=${forwarded.body.id}`, {
        key: otherTenantKey,
      });
      expect(asOtherTenant).toMatchObject({ status: 200, body: { items: [] } });

      const bad = await harness.admin('/deliveries?sourceEventId=not-a-uuid');
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(['sourceEventId']);
    });
  });

  describe('POST /inbound-events/reprocess with dryRun', () => {
    it('counts what a reprocess would queue, changing and auditing nothing', async () => {
      const handler = await createHandler(harness, {
        rules: [{ sequence: 10, name: 'drop everything', action: 'dead_letter' }],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const eventIds: string[] = [];
      for (const n of [1, 2, 3]) {
        const res = await post(harness, endpoint.url, JSON.stringify({ n }));
        expect(res.status).toBe(202);
        eventIds.push(res.body.id);
      }
      for (const id of eventIds) expect((await finished(id)).state).toBe('dead_letter');
      const states = async () =>
        query<{ state: string; attempts: number }>(
          db(),
          `SELECT state, attempts FROM inbound_events WHERE id = ANY($1::uuid[]) ORDER BY id`,
          [eventIds],
        );
      const before = await states();
      const audits = await auditCount('inbound-event.reprocess');

      const dry = await harness.admin('/inbound-events/reprocess', {
        body: { endpoint: endpoint.id, dryRun: true },
      });
      expect(dry).toEqual({ status: 200, body: { matched: 3 } });
      const byState = await harness.admin('/inbound-events/reprocess', {
        body: { endpoint: endpoint.id, state: 'dead_letter', dryRun: true },
      });
      expect(byState.body).toEqual({ matched: 3 });
      const onlyErrors = await harness.admin('/inbound-events/reprocess', {
        body: { endpoint: endpoint.id, state: 'error', dryRun: true },
      });
      expect(onlyErrors.body).toEqual({ matched: 0 });
      const one = await harness.admin('/inbound-events/reprocess', {
        body: { endpoint: endpoint.id, q: eventIds[0], dryRun: true },
      });
      expect(one.body).toEqual({ matched: 1 });
      const asOperator = await harness.admin('/inbound-events/reprocess', {
        key: operatorKey,
        body: { endpoint: endpoint.id, dryRun: true },
      });
      expect(asOperator).toEqual({ status: 200, body: { matched: 3 } });
      const asOtherTenant = await harness.admin('/inbound-events/reprocess', {
        key: otherTenantKey,
        body: { endpoint: endpoint.id, dryRun: true },
      });
      expect(asOtherTenant).toEqual({ status: 200, body: { matched: 0 } });
      const otherTenantAll = await harness.admin('/inbound-events/reprocess', {
        key: otherTenantKey,
        body: { dryRun: true },
      });
      expect(otherTenantAll.body).toEqual({ matched: 0 });

      // A dry run is refused where the real action is.
      const wrongState = await harness.admin('/inbound-events/reprocess', {
        body: { endpoint: endpoint.id, state: 'done', dryRun: true },
      });
      expect(wrongState.status).toBe(409);
      const notBoolean = await harness.admin('/inbound-events/reprocess', {
        body: { endpoint: endpoint.id, dryRun: 'yes' },
      });
      expect(notBoolean.status).toBe(400);

      expect(await states()).toEqual(before);
      expect(await auditCount('inbound-event.reprocess')).toBe(audits);

      // The real action then does what the count said.
      const real = await harness.admin('/inbound-events/reprocess', {
        key: operatorKey,
        body: { endpoint: endpoint.id, dryRun: false },
      });
      expect(real).toEqual({ status: 200, body: { reprocessed: 3 } });
      expect(await auditCount('inbound-event.reprocess')).toBe(audits + 1);
    });
  });

  describe('POST /deliveries/replay with dryRun', () => {
    it('counts what a replay would send, changing and auditing nothing', async () => {
      const endpoint = await draftEndpoint();
      const key = unique('cl-replay');
      const deliveries = [
        await deliver(endpoint.code, key),
        await deliver(endpoint.code),
        await deliver(endpoint.code),
      ];
      for (const delivery of deliveries.slice(0, 2)) {
        const res = await harness.admin(`/deliveries/${delivery.id}/dead-letter`, { body: {} });
        expect(res.status).toBe(200);
      }
      const states = async () =>
        query<{ id: string; state: string }>(
          db(),
          `SELECT id, state FROM deliveries WHERE endpoint_id = $1 ORDER BY id`,
          [endpoint.id],
        );
      const before = await states();
      const audits = await auditCount('delivery.replay');

      const dry = await harness.admin('/deliveries/replay', {
        body: { endpoint: endpoint.code, dryRun: true },
      });
      expect(dry).toEqual({ status: 200, body: { matched: 2 } });
      const byKey = await harness.admin('/deliveries/replay', {
        body: { idempotencyKey: key, dryRun: true },
      });
      expect(byKey.body).toEqual({ matched: 1 });
      const canceled = await harness.admin('/deliveries/replay', {
        body: { endpoint: endpoint.code, state: 'canceled', dryRun: true },
      });
      expect(canceled.body).toEqual({ matched: 0 });
      const asOperator = await harness.admin('/deliveries/replay', {
        key: operatorKey,
        body: { endpoint: endpoint.id, dryRun: true },
      });
      expect(asOperator).toEqual({ status: 200, body: { matched: 2 } });
      const asOtherTenant = await harness.admin('/deliveries/replay', {
        key: otherTenantKey,
        body: { endpoint: endpoint.id, dryRun: true },
      });
      expect(asOtherTenant).toEqual({ status: 200, body: { matched: 0 } });
      const otherTenantByKey = await harness.admin('/deliveries/replay', {
        key: otherTenantKey,
        body: { idempotencyKey: key, dryRun: true },
      });
      expect(otherTenantByKey.body).toEqual({ matched: 0 });
      const notBoolean = await harness.admin('/deliveries/replay', {
        body: { endpoint: endpoint.code, dryRun: 1 },
      });
      expect(notBoolean.status).toBe(400);

      expect(await states()).toEqual(before);
      expect(await auditCount('delivery.replay')).toBe(audits);

      const real = await harness.admin('/deliveries/replay', {
        key: operatorKey,
        body: { endpoint: endpoint.code },
      });
      expect(real).toEqual({ status: 200, body: { replayed: 2 } });
      expect(await auditCount('delivery.replay')).toBe(audits + 1);
    });
  });

  describe('GET /inbound-events?q=', () => {
    it('finds events by delivery identity, replay identity or matched rule, in the caller’s tenant only', async () => {
      const handler = await createHandler(harness, {});
      const first = await createInboundEndpoint(harness, { handler: handler.code });
      const second = await createInboundEndpoint(harness, { handler: handler.code });
      const tenantId = await defaultTenantId();
      const q = unique('cl-q');
      const insert = async (
        key: string | undefined,
        endpoint: { id: string; path: string },
        state: string,
        identities: { delivery?: string; replay?: string; rule?: string },
      ): Promise<string> => {
        const [row] = await query<{ id: string }>(
          db(),
          `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body,
                                       delivery_identity, replay_identity, matched_rule)
           VALUES (COALESCE($1, (SELECT tenant_id FROM inbound_endpoints WHERE id = $2)), $2, $3, $4,
                   'POST', 'http://x', '\\x'::bytea, $5, $6, $7)
           RETURNING id`,
          [
            key ?? null,
            endpoint.id,
            endpoint.path,
            state,
            identities.delivery ?? null,
            identities.replay ?? null,
            identities.rule ?? null,
          ],
        );
        return row.id;
      };
      const byDelivery = await insert(tenantId, first, 'done', { delivery: q, rule: 'other' });
      const byReplay = await insert(tenantId, second, 'error', { replay: q });
      const byRule = await insert(tenantId, first, 'dead_letter', { rule: q });
      await insert(tenantId, first, 'done', { delivery: `${q}-other`, rule: `${q}-other` });
      // Another tenant's event with the same identity and rule name.
      const otherHandler = await harness.admin('/handlers', {
        key: otherTenantKey,
        body: { code: 'h', name: 'h', direction: 'inbound', executionMode: 'rules', rules: [] },
      });
      expect(otherHandler.status).toBe(201);
      const otherEndpoint = await harness.admin('/inbound-endpoints', {
        key: otherTenantKey,
        body: { name: 'e', path: unique('cl-other'), handler: 'h' },
      });
      expect(otherEndpoint.status).toBe(201);
      const foreign = await insert(undefined, otherEndpoint.body, 'done', {
        delivery: q,
        rule: q,
      });

      const found = await harness.admin(`/inbound-events?q=${encodeURIComponent(q)}`);
      expect(found.status).toBe(200);
      expect(ids(found)).toEqual([byDelivery, byReplay, byRule].sort());
      const narrowed = await harness.admin(
        `/inbound-events?q=${encodeURIComponent(q)}&endpoint=${first.id}&state=done`,
      );
      expect(ids(narrowed)).toEqual([byDelivery]);
      const asOperator = await harness.admin(`/inbound-events?q=${encodeURIComponent(q)}`, {
        key: operatorKey,
      });
      expect(ids(asOperator)).toEqual([byDelivery, byReplay, byRule].sort());
      const asOtherTenant = await harness.admin(`/inbound-events?q=${encodeURIComponent(q)}`, {
        key: otherTenantKey,
      });
      expect(ids(asOtherTenant)).toEqual([foreign]);
    });

    it('is answered from indexes: one probe per identity index and the matched-rule index', async () => {
      // The search alone, as the list adds it to its WHERE, planned with every other index of
      // inbound_events out of the way (dropped inside a transaction that is rolled back) and
      // plain scans ruled out: each arm must probe its own index with the searched value. An
      // arm with none (the matched rule before its index, identities not narrowed to the
      // tenant's endpoints) leaves Postgres a sequential scan only.
      const probed = [
        'inbound_events_delivery_identity_key',
        'inbound_events_replay_identity_key',
        'inbound_events_tenant_matched_rule_idx',
      ];
      const client = new Client({ connectionString: db() });
      await client.connect();
      try {
        await client.query('BEGIN');
        const others = await client.query<{ name: string }>(
          `SELECT i.indexrelid::regclass::text AS name FROM pg_index i
            WHERE i.indrelid = 'inbound_events'::regclass AND NOT i.indisprimary
              AND i.indexrelid::regclass::text <> ALL($1)`,
          [probed],
        );
        for (const { name } of others.rows) await client.query(`DROP INDEX ${name}`);
        await client.query('SET LOCAL enable_seqscan = off');
        await client.query('SET LOCAL enable_indexscan = off');
        await client.query('SET LOCAL enable_indexonlyscan = off');
        const [{ 'QUERY PLAN': plan }] = (
          await client.query(
            `EXPLAIN (FORMAT JSON) SELECT e.id FROM inbound_events e
              WHERE e.tenant_id = $1 AND ${searchSql(2)}`,
            [await defaultTenantId(), 'some-identity'],
          )
        ).rows;
        await client.query('ROLLBACK');
        const scans: Array<{ type: string; index?: string; cond?: string }> = [];
        const walk = (node: Record<string, any>) => {
          if (
            node['Relation Name'] === 'inbound_events' ||
            node['Index Name']?.startsWith('inbound_events_')
          ) {
            scans.push({
              type: node['Node Type'],
              index: node['Index Name'],
              cond: node['Index Cond'],
            });
          }
          for (const child of node.Plans ?? []) walk(child);
        };
        walk(plan[0].Plan);
        const probes = scans.filter((scan) => scan.type === 'Bitmap Index Scan');
        expect(scans.filter((scan) => scan.type === 'Seq Scan')).toEqual([]);
        expect(probes.map((scan) => scan.index).sort()).toEqual(probed);
        for (const probe of probes) expect(probe.cond).toContain(`= 'some-identity'::text`);
      } finally {
        await client.end();
      }
    });
  });

  describe('GET /record-models', () => {
    it('lists the tenant’s models with the handlers and fields that write them; any key of the tenant reads it', async () => {
      const model = `cl_model_${Date.now().toString(36)}`;
      const handler = await createHandler(harness, {
        rules: [
          {
            sequence: 10,
            name: 'write',
            action: 'upsert_record',
            targetModel: model,
            conditions: [],
            lookups: [{ field: 'number', source: { kind: 'payload', path: 'n' } }],
            assignments: [
              { field: 'title', source: { kind: 'payload', path: 't' } },
              { field: 'number', source: { kind: 'payload', path: 'n' } },
            ],
          },
        ],
      });
      const tenantId = await defaultTenantId();
      const stored = `${model}_stored`;
      await query(
        db(),
        `INSERT INTO records (tenant_id, model, data) VALUES ($1, $2, '{"a": 1}'), ($1, $2, '{"a": 2}')`,
        [tenantId, stored],
      );

      const res = await harness.admin('/record-models');
      expect(res.status).toBe(200);
      const names = res.body.map((m: { model: string }) => m.model);
      expect(names).toEqual([...names].sort());
      expect(res.body).toEqual(
        expect.arrayContaining([
          { model, hasRecords: false, handlers: [handler.code], fields: ['number', 'title'] },
          { model: stored, hasRecords: true, handlers: [], fields: [] },
        ]),
      );
      const asOperator = await harness.admin('/record-models', { key: operatorKey });
      expect(asOperator).toMatchObject({ status: 200, body: res.body });

      // Another tenant sees none of it, and holds models of its own.
      const otherTenant = (await harness.admin('/tenant', { key: otherTenantKey })).body.id;
      expect(otherTenant).toEqual(expect.any(String));
      await query(
        db(),
        `INSERT INTO records (tenant_id, model, data) VALUES ($1, 'theirs', '{}')`,
        [otherTenant],
      );
      const asOtherTenant = await harness.admin('/record-models', { key: otherTenantKey });
      expect(asOtherTenant.status).toBe(200);
      expect(asOtherTenant.body).toEqual([
        { model: 'theirs', hasRecords: true, handlers: [], fields: [] },
      ]);
      expect((await harness.admin('/record-models', { key: 'not-a-key' })).status).toBe(401);
    });
  });

  describe('validation answers name the field', () => {
    const fields = (res: { body: { details?: Array<{ field: string }> } }) =>
      (res.body.details ?? []).map((d) => d.field);

    it('names the rule and its part a rule problem concerns', async () => {
      const res = await harness.admin('/handlers', {
        body: {
          code: unique('cl-bad'),
          name: 'bad',
          direction: 'inbound',
          executionMode: 'rules',
          rules: [
            { sequence: 10, name: 'fine', action: 'done' },
            {
              sequence: 20,
              name: 'broken',
              action: 'upsert_record',
              conditions: [{ source: 'payload', path: 'a', operator: 'like', value: 1 }],
              lookups: [{ field: 'n', source: { kind: 'header' } }],
            },
            { sequence: 30, name: 'fwd', action: 'forward' },
          ],
        },
      });
      expect(res.status).toBe(400);
      expect(fields(res)).toEqual([
        'rules.1.conditions.0.operator',
        'rules.1.targetModel',
        'rules.1.lookups.0.source',
        'rules.2.forwardTo',
      ]);
      expect(res.body.details[1].problems).toEqual(['upsert_record needs a targetModel']);
      const unknownTarget = await harness.admin('/handlers', {
        body: {
          code: unique('cl-bad'),
          name: 'bad',
          direction: 'inbound',
          executionMode: 'rules',
          rules: [{ sequence: 1, name: 'fwd', action: 'forward', forwardTo: 'no-such-endpoint' }],
        },
      });
      expect(fields(unknownTarget)).toEqual(['rules.0.forwardTo']);
    });

    it('names the security setting an inbound endpoint problem concerns', async () => {
      const handler = await createHandler(harness, {});
      const attempt = async (security: Record<string, unknown>) =>
        fields(
          await harness.admin('/inbound-endpoints', {
            body: { name: 'x', path: unique('cl-sec'), handler: handler.code, ...security },
          }),
        );
      const hmac = { mode: 'hmac', secret: 's3cret', digest: 'sha256', encoding: 'hex' };
      const custom = { ...hmac, header: 'X-Sig' };
      expect(await attempt({ signature: { mode: 'hmac', preset: 'github' } })).toEqual([
        'signature.secret',
      ]);
      expect(await attempt({ signature: hmac })).toEqual(['signature.header']);
      expect(
        await attempt({ signature: { ...custom, headerFormat: 'key-value', headerKey: '' } }),
      ).toEqual(['signature.headerKey']);
      expect(
        await attempt({
          signature: { ...custom, parts: [{ kind: 'body' }, { kind: 'header', name: '' }] },
        }),
      ).toEqual(['signature.parts.1.name']);
      expect(
        await attempt({ signature: { ...custom, secretEncoding: 'base64', secret: '***' } }),
      ).toEqual(['signature.secret']);
      expect(
        await attempt({ signature: custom, timestamp: { enabled: true, format: 'unix_seconds' } }),
      ).toEqual(['timestamp.header']);
      expect(
        await attempt({
          signature: custom,
          identity: { delivery: { policy: 'delivery_header' } },
        }),
      ).toEqual(['identity.delivery.header']);
      expect(
        await attempt({ signature: custom, identity: { replay: { policy: 'business_event' } } }),
      ).toEqual(['identity.replay.path']);
    });
  });

  it('documents the new filters and dry runs in OpenAPI', async () => {
    const doc = (await (await fetch(`${harness.adminUrl}/api/docs-json`)).json()) as any;
    const listParams = doc.paths['/api/v1/deliveries'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(listParams).toEqual(expect.arrayContaining(['idempotencyKey', 'sourceEventId']));
    expect(doc.components.schemas.ReplayDeliveriesDto.properties).toHaveProperty('dryRun');
    expect(doc.components.schemas.ReprocessInboundEventsDto.properties).toHaveProperty('dryRun');
    expect(doc.components.schemas.MatchedResponse.properties).toHaveProperty('matched');
    for (const path of ['/api/v1/deliveries/replay', '/api/v1/inbound-events/reprocess']) {
      const schema = doc.paths[path].post.responses['200'].content['application/json'].schema;
      expect(schema.oneOf).toContainEqual({ $ref: '#/components/schemas/MatchedResponse' });
    }
  });
});
