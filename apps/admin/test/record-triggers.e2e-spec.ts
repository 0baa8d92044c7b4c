import { createHmac, randomUUID } from 'node:crypto';
import { query } from '../../../test/support/database';
import {
  createHandler,
  createInboundEndpoint,
  post,
  sinkEndpointBody,
  unique,
} from '../../../test/support/fixtures';
import { startHarness, type Harness } from '../../../test/support/harness';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Record-change triggers (SPEC §11, issue 26) against the real apps, Postgres, Redis and a
 * loopback sink: a GitHub issue webhook upserts a record, the change fires a trigger, and
 * the CRM endpoint subscribed to its event receives the record before and after — once per
 * change. Records written through the admin API fire triggers the same way. Triggers are
 * validated with the condition engine's validators, tenant-scoped, admin-only to change;
 * records are writable by operators and admins, never by publisher keys.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;

interface DeliveryRow {
  id: string;
  state: string;
  event_type: string;
  idempotency_key: string;
  source_event_id: string | null;
  payload: {
    changeId: string;
    trigger: string;
    model: string;
    recordId: string;
    operation: string;
    changedFields: string[];
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  };
}

async function deliveriesTo(code: string): Promise<DeliveryRow[]> {
  return query<DeliveryRow>(
    db(),
    `SELECT id, state, event_type, idempotency_key, source_event_id, payload
       FROM deliveries WHERE endpoint_code = $1 ORDER BY created_at, id`,
    [code],
  );
}

describe('record-change triggers', () => {
  let harness: Harness;
  let sink: Sink;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
  });

  afterAll(async () => {
    await sink?.close();
    await harness?.close();
  });

  /** A CRM endpoint on the sink, subscribed to `eventTypes`. */
  async function crmEndpoint(eventTypes: string[], key?: string): Promise<string> {
    const code = unique('crm');
    const res = await harness.admin('/outbound-endpoints', {
      key,
      body: sinkEndpointBody(code, sink.url, { eventTypes }),
    });
    expect(res.status).toBe(201);
    return code;
  }

  async function createTrigger(body: Record<string, unknown>, key?: string) {
    const res = await harness.admin('/record-triggers', {
      key,
      body: { code: unique('trg'), name: 'trigger', ...body },
    });
    if (res.status !== 201) throw new Error(`trigger: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; code: string; publishes: string[] };
  }

  const sinkPayloads = (code: string) =>
    sink.requests
      .map((r) => JSON.parse(r.body.toString('utf8')) as DeliveryRow['payload'])
      .filter((p) => p.trigger !== undefined && p.model !== undefined && code !== '');

  it('GitHub issue webhook → upsert → trigger → one delivery per change to the CRM', async () => {
    const model = unique('issues').replace(/[^a-z0-9-]/g, '');
    const crm = await crmEndpoint([`record.${model}.*`]);
    const trigger = await createTrigger({
      model,
      operations: ['created', 'updated'],
      changedFields: ['state'],
    });
    expect(trigger.publishes).toEqual([`record.${model}.created`, `record.${model}.updated`]);
    const handler = await createHandler(harness, {
      rules: [
        {
          sequence: 10,
          name: 'issue',
          action: 'upsert_record',
          targetModel: model,
          lookups: [{ field: 'number', source: { kind: 'payload', path: 'issue.number' } }],
          assignments: [
            { field: 'number', source: { kind: 'payload', path: 'issue.number' } },
            { field: 'title', source: { kind: 'payload', path: 'issue.title' } },
            { field: 'state', source: { kind: 'payload', path: 'issue.state' } },
          ],
        },
      ],
    });
    const secret = 'github-webhook-secret-for-triggers';
    const endpoint = await createInboundEndpoint(harness, {
      handler: handler.code,
      signature: { mode: 'hmac', preset: 'github', secret },
    });
    const send = async (issue: Record<string, unknown>) => {
      const body = JSON.stringify({ action: 'edited', issue });
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const answer = await post(harness, endpoint.url, body, {
        'x-hub-signature-256': signature,
        'x-github-delivery': randomUUID(),
      });
      expect(answer.status).toBe(202);
      const id = answer.body.id as string;
      await waitFor(
        async () => {
          const [row] = await query<{ state: string }>(
            db(),
            `SELECT state FROM inbound_events WHERE id = $1`,
            [id],
          );
          return row?.state === 'done' ? true : undefined;
        },
        { what: 'event done' },
      );
      return id;
    };

    const opened = await send({ number: 7, title: 'Crash', state: 'open' });
    // A title edit: the trigger filters updates on `state`, so nothing is published.
    await send({ number: 7, title: 'Crash on save', state: 'open' });
    const closed = await send({ number: 7, title: 'Crash on save', state: 'closed' });

    await waitFor(
      async () => {
        const rows = await deliveriesTo(crm);
        return rows.length === 2 && rows.every((r) => r.state === 'done') ? rows : undefined;
      },
      { what: 'two trigger deliveries done' },
    );
    const rows = await deliveriesTo(crm);
    expect(rows.map((r) => r.event_type)).toEqual([
      `record.${model}.created`,
      `record.${model}.updated`,
    ]);
    expect(rows.map((r) => r.source_event_id)).toEqual([opened, closed]);
    const [record] = await query<{ id: string }>(db(), `SELECT id FROM records WHERE model = $1`, [
      model,
    ]);
    expect(rows[0].payload).toMatchObject({
      trigger: trigger.code,
      model,
      recordId: record.id,
      operation: 'created',
      before: null,
      after: { number: 7, title: 'Crash', state: 'open' },
    });
    expect(rows[1].payload).toMatchObject({
      operation: 'updated',
      changedFields: ['state'],
      before: { number: 7, title: 'Crash on save', state: 'open' },
      after: { number: 7, title: 'Crash on save', state: 'closed' },
    });
    // The change id is the idempotency key: one per change and trigger.
    for (const row of rows) {
      expect(row.idempotency_key).toBe(`record-change:${row.payload.changeId}:${trigger.id}`);
    }
    expect(new Set(rows.map((r) => r.payload.changeId)).size).toBe(2);
    // The sink (the CRM) received exactly those two, with the same bodies.
    const received = sinkPayloads(crm).filter((p) => p.model === model);
    expect(received.map((p) => p.operation)).toEqual(['created', 'updated']);
    expect(received.map((p) => p.changeId)).toEqual(rows.map((r) => r.payload.changeId));
  });

  it('records a callback writes fire triggers in the event’s transaction too', async () => {
    const repository = unique('acme/repo');
    const eventType = `${unique('gh').replace(/[^a-z0-9-]/g, '')}.issue`;
    const crm = await crmEndpoint([eventType]);
    await createTrigger({
      model: 'github_issues',
      operations: ['created', 'updated'],
      eventType,
      conditions: [{ source: 'payload', path: 'repository', operator: '=', value: repository }],
    });
    const handler = await createHandler(harness, {
      executionMode: 'callback',
      callback: 'github-issues',
    });
    const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
    for (const state of ['open', 'closed']) {
      const answer = await post(
        harness,
        endpoint.url,
        JSON.stringify({
          action: state === 'open' ? 'opened' : 'closed',
          issue: { number: 3, title: 'Flaky', state },
          repository: { full_name: repository },
        }),
      );
      expect(answer.status).toBe(202);
      await waitFor(
        async () => {
          const [row] = await query<{ state: string }>(
            db(),
            `SELECT state FROM inbound_events WHERE id = $1`,
            [answer.body.id],
          );
          return row?.state === 'done' ? true : undefined;
        },
        { what: 'callback event done' },
      );
    }
    const rows = await waitFor(
      async () => {
        const found = await deliveriesTo(crm);
        return found.length === 2 && found.every((r) => r.state === 'done') ? found : undefined;
      },
      { what: 'two callback-fired deliveries done' },
    );
    expect(rows.map((r) => r.payload.operation)).toEqual(['created', 'updated']);
    expect(rows[1].payload.changedFields).toEqual(['lastAction', 'state']);
    expect(rows[1].payload.after).toMatchObject({ repository, number: 3, state: 'closed' });
  });

  it('records written through the admin API fire created, updated and deleted, audited', async () => {
    const model = unique('contacts').replace(/[^a-z0-9-]/g, '');
    const crm = await crmEndpoint([`${model}.changed`]);
    const trigger = await createTrigger({
      model,
      operations: ['created', 'updated', 'deleted'],
      eventType: `${model}.changed`,
      conditions: [{ source: 'payload', path: 'vip', operator: '=', value: true }],
    });
    // Not a VIP: no event.
    const plain = await harness.admin(`/records/${model}`, { body: { data: { email: 'a@x.io' } } });
    expect(plain.status).toBe(201);
    const created = await harness.admin(`/records/${model}`, {
      body: { data: { email: 'b@x.io', vip: true, 'address.city': 'Oslo' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ email: 'b@x.io', vip: true, address: { city: 'Oslo' } });
    const id = created.body.id as string;
    // The same data again: not a change, no event.
    const same = await harness.admin(`/records/${model}/${id}`, {
      method: 'PUT',
      body: { data: { vip: true, email: 'b@x.io', address: { city: 'Oslo' } } },
    });
    expect(same.status).toBe(200);
    const replaced = await harness.admin(`/records/${model}/${id}`, {
      method: 'PUT',
      body: { data: { email: 'b@x.io', vip: true } },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data).toEqual({ email: 'b@x.io', vip: true });
    const deleted = await harness.admin(`/records/${model}/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await harness.admin(`/records/${model}/${id}`)).status).toBe(404);
    expect((await harness.admin(`/records/${model}/${id}`, { method: 'DELETE' })).status).toBe(404);

    const rows = await waitFor(
      async () => {
        const found = await deliveriesTo(crm);
        return found.length === 3 && found.every((r) => r.state === 'done') ? found : undefined;
      },
      { what: 'three deliveries done' },
    );
    expect(rows.map((r) => [r.event_type, r.payload.operation])).toEqual([
      [`${model}.changed`, 'created'],
      [`${model}.changed`, 'updated'],
      [`${model}.changed`, 'deleted'],
    ]);
    expect(rows.every((r) => r.payload.trigger === trigger.code && r.payload.recordId === id)).toBe(
      true,
    );
    expect(rows[1].payload.changedFields).toEqual(['address']);
    expect(rows[2].payload).toMatchObject({ before: { email: 'b@x.io', vip: true }, after: null });
    const audit = await query<{ action: string }>(
      db(),
      `SELECT action FROM audit_entries WHERE entity_type = 'record' AND entity_id = $1 ORDER BY created_at`,
      [id],
    );
    expect(audit.map((a) => a.action)).toEqual([
      'record.create',
      'record.update',
      'record.update',
      'record.delete',
    ]);
  });

  it('refuses bad triggers and records with 4xx, writing nothing', async () => {
    const count = async () =>
      (
        await query<{ t: number; r: number }>(
          db(),
          `SELECT (SELECT count(*) FROM record_triggers)::int AS t, (SELECT count(*) FROM records)::int AS r`,
        )
      )[0];
    const before = await count();
    const bad = await harness.admin('/record-triggers', {
      body: {
        code: unique('bad'),
        name: 'bad',
        model: 'issues',
        operations: ['created'],
        changedFields: ['state'],
        conditions: [
          { source: 'headers', path: 'x', operator: '=', value: 1 },
          { path: 'a', operator: '~' },
        ],
        eventType: 'record.*',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual([
      'changedFields',
      'conditions.0.source',
      'conditions.1.operator',
      'eventType',
    ]);
    const shape = await harness.admin('/record-triggers', {
      body: { code: 'Not A Slug', name: 'x', model: 'issues', operations: ['written'] },
    });
    expect(shape.status).toBe(400);
    const code = unique('dup');
    await createTrigger({ code, model: 'issues', operations: ['created'] });
    const duplicate = await harness.admin('/record-triggers', {
      body: { code, name: 'again', model: 'issues', operations: ['created'] },
    });
    expect(duplicate.status).toBe(409);
    for (const body of [
      '{"data":[1,2]}',
      '{"data":"text"}',
      '{}',
      '[]',
      '{"data":{},"extra":1}',
      '{"data":{"nested":{"__proto__":{"polluted":true}}}}',
      '{"data":{"constructor":{"prototype":{"polluted":true}}}}',
      '{"data":{"a.__proto__.polluted":true}}',
    ]) {
      const res = await fetch(`${harness.adminUrl}/api/v1/records/issues`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer test-admin-key-0123456789abcdef',
          'content-type': 'application/json',
        },
        body,
      });
      expect([body, res.status]).toEqual([body, 400]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await harness.admin('/records/Bad Model', { body: { data: {} } })).status).toBe(400);
    const after = await count();
    expect(after).toEqual({ t: before.t + 1, r: before.r });
  });

  it('keeps tenants apart and the lowest-privilege key out of every write', async () => {
    const tenantName = unique('trg-tenant').toLowerCase();
    const tenant = await harness.admin('/tenants', {
      body: { name: tenantName, retentionDays: 7 },
    });
    expect(tenant.status).toBe(201);
    const otherAdmin = tenant.body.adminKey.key as string;
    const keyOf = async (role: string) => {
      const res = await harness.admin('/api-keys', { body: { name: unique(role), role } });
      expect(res.status).toBe(201);
      return res.body.key as string;
    };
    const publisher = await keyOf('publisher');
    const operator = await keyOf('operator');

    const model = unique('deals').replace(/[^a-z0-9-]/g, '');
    const crm = await crmEndpoint([`record.${model}.*`]);
    const trigger = await createTrigger({ model, operations: ['created', 'deleted'] });
    const triggerBody = { code: unique('x'), name: 'x', model, operations: ['created'] };

    // Publisher: no trigger or record route at all.
    for (const [method, path, body] of [
      ['GET', '/record-triggers', undefined],
      ['POST', '/record-triggers', triggerBody],
      ['PUT', `/record-triggers/${trigger.id}`, triggerBody],
      ['DELETE', `/record-triggers/${trigger.id}`, undefined],
      ['POST', `/records/${model}`, { data: { a: 1 } }],
    ] as const) {
      expect((await harness.admin(path, { method, body, key: publisher })).status).toBe(403);
    }
    // Operator: reads triggers, cannot change them; may write records.
    expect((await harness.admin('/record-triggers', { key: operator })).status).toBe(200);
    expect(
      (await harness.admin('/record-triggers', { body: triggerBody, key: operator })).status,
    ).toBe(403);
    expect(
      (await harness.admin(`/record-triggers/${trigger.id}`, { method: 'DELETE', key: operator }))
        .status,
    ).toBe(403);
    const byOperator = await harness.admin(`/records/${model}`, {
      body: { data: { deal: 1 } },
      key: operator,
    });
    expect(byOperator.status).toBe(201);

    // Another tenant's admin: sees none of it, changes none of it.
    const theirs = await harness.admin('/record-triggers', { key: otherAdmin });
    expect(theirs.status).toBe(200);
    expect(theirs.body.map((t: { id: string }) => t.id)).not.toContain(trigger.id);
    expect(
      (await harness.admin(`/record-triggers/${trigger.id}`, { key: otherAdmin })).status,
    ).toBe(404);
    expect(
      (
        await harness.admin(`/record-triggers/${trigger.id}`, {
          method: 'PUT',
          body: triggerBody,
          key: otherAdmin,
        })
      ).status,
    ).toBe(404);
    expect(
      (await harness.admin(`/record-triggers/${trigger.id}`, { method: 'DELETE', key: otherAdmin }))
        .status,
    ).toBe(404);
    const recordId = byOperator.body.id as string;
    expect(
      (
        await harness.admin(`/records/${model}/${recordId}`, {
          method: 'PUT',
          body: { data: { deal: 2 } },
          key: otherAdmin,
        })
      ).status,
    ).toBe(404);
    expect(
      (await harness.admin(`/records/${model}/${recordId}`, { method: 'DELETE', key: otherAdmin }))
        .status,
    ).toBe(404);
    // Their own record of the same model fires none of this tenant's triggers.
    const own = await harness.admin(`/records/${model}`, {
      body: { data: { deal: 3 } },
      key: otherAdmin,
    });
    expect(own.status).toBe(201);

    const rows = await waitFor(
      async () => {
        const found = await deliveriesTo(crm);
        return found.length >= 1 && found.every((r) => r.state === 'done') ? found : undefined;
      },
      { what: 'the operator’s record delivered' },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await deliveriesTo(crm)).length).toBe(1);
    expect(rows[0].payload).toMatchObject({ recordId, operation: 'created', after: { deal: 1 } });
    const [stored] = await query<{ data: unknown }>(
      db(),
      `SELECT data FROM records WHERE id = $1`,
      [recordId],
    );
    expect(stored.data).toEqual({ deal: 1 });
    expect(
      (await query(db(), `SELECT 1 FROM record_triggers WHERE id = $1`, [trigger.id])).length,
    ).toBe(1);
  });
});
