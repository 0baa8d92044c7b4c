import { Queue } from 'bullmq';
import { itemJobId, QueueName } from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { hashApiKey } from '../src/auth/api-key.guard';

/**
 * The admin API's outbound routes against the real admin app, Postgres and Redis (no
 * dispatcher runs, so queued deliveries stay queued): endpoint configuration with
 * write-only secrets and save-time validation, endpoint states holding and releasing
 * deliveries, publishing, operator actions and their conflicts, listing and bulk replay.
 */
const db = () => process.env.DATABASE_URL!;
const whsec = 'whsec_' + Buffer.from('admin-outbound-signing-secret-0123').toString('base64');
const bearer = 'tok_live_do_not_echo_0123456789';
const fastRetries = { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 2, maxDelaySeconds: 5 };
const OPERATOR_KEY = `operator-key-${Date.now().toString(36)}-0123456789`;

describe('admin API: outbound endpoints and deliveries', () => {
  let harness: Harness;
  let deliveryJobs: Queue;

  beforeAll(async () => {
    harness = await startHarness();
    deliveryJobs = new Queue(QueueName.OutboundDeliveries, {
      connection: { url: process.env.REDIS_URL },
      prefix: process.env.QUEUE_PREFIX,
    });
    await query(
      db(),
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix)
       SELECT id, 'operator (test)', 'operator', $1, $2 FROM tenants WHERE name = 'default'`,
      [hashApiKey(OPERATOR_KEY), OPERATOR_KEY.slice(0, 8)],
    );
  });

  afterAll(async () => {
    // Nothing of ours is left for a dispatcher that a later spec in this run boots.
    await query(
      db(),
      `UPDATE deliveries SET state = 'canceled' WHERE endpoint_code LIKE 'oa-%' AND state IN ('draft', 'queued')`,
    );
    await deliveryJobs?.close();
    await harness?.close();
  });

  function endpointBody(body: Record<string, unknown> = {}): Record<string, unknown> {
    const code = (body.code as string | undefined) ?? unique('oa');
    return {
      code,
      name: `Endpoint ${code}`,
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'http://127.0.0.1:1234',
      targetPath: '/orders/{orderId}/events',
      retryPolicy: fastRetries,
      ...body,
    };
  }

  async function createEndpoint(body: Record<string, unknown> = {}): Promise<any> {
    const res = await harness.admin('/outbound-endpoints', { body: endpointBody(body) });
    if (res.status !== 201)
      throw new Error(`outbound endpoint not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function deliver(body: Record<string, unknown>): Promise<any> {
    const res = await harness.admin('/deliveries', { body });
    if (res.status !== 202)
      throw new Error(`delivery not accepted: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function stateOf(id: string): Promise<{ state: string; last_error: string | null }> {
    const [row] = await query<{ state: string; last_error: string | null }>(
      db(),
      `SELECT state, last_error FROM deliveries WHERE id = $1`,
      [id],
    );
    return row;
  }

  /** Whether a job carries the delivery: its own, or a send-group that lists it. */
  async function hasJob(deliveryId: string, attempts = 0): Promise<boolean> {
    if ((await deliveryJobs.getJob(itemJobId(deliveryId, attempts))) !== undefined) return true;
    if (attempts > 0) return false;
    const jobs = await deliveryJobs.getJobs(['waiting', 'prioritized', 'active']);
    return jobs.some(
      (job) =>
        job.name === 'send-group' &&
        (job.data as { deliveryIds?: string[] }).deliveryIds?.includes(deliveryId),
    );
  }

  it('documents the outbound routes in OpenAPI', async () => {
    const doc = (await (await fetch(`${harness.adminUrl}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, method] of [
      ['/api/v1/outbound-endpoints', 'post'],
      ['/api/v1/outbound-endpoints/{id}', 'put'],
      ['/api/v1/outbound-endpoints/{id}/activate', 'post'],
      ['/api/v1/outbound-endpoints/{id}/archive', 'post'],
      ['/api/v1/outbound-endpoints/{id}/test', 'post'],
      ['/api/v1/deliveries', 'post'],
      ['/api/v1/deliveries/replay', 'post'],
      ['/api/v1/deliveries/{id}/reset', 'post'],
      ['/api/v1/deliveries/{id}/queue', 'post'],
      ['/api/v1/deliveries/{id}/dead-letter', 'post'],
      ['/api/v1/deliveries/{id}/cancel', 'post'],
      ['/api/v1/events', 'post'],
    ]) {
      expect(doc.paths[path]?.[method]).toBeDefined();
    }
  });

  describe('endpoint configuration', () => {
    it('creates, reads, lists and updates endpoints without ever answering a secret', async () => {
      const created = await harness.admin('/outbound-endpoints', {
        body: endpointBody({
          headerRules: [{ name: 'X-Tenant', value: 'acme-{region}' }],
          signing: { type: 'standard-webhooks', secret: whsec },
          auth: { type: 'bearer', token: bearer },
          eventTypes: ['order.*'],
          timeoutMs: 5000,
          rateLimitPerSecond: 20,
        }),
      });
      expect(created.status).toBe(201);
      const endpoint = created.body;
      expect(endpoint).toMatchObject({
        state: 'active',
        method: 'POST',
        bodyMode: 'json',
        targetHost: 'http://127.0.0.1:1234',
        targetPath: '/orders/{orderId}/events',
        headerRules: [{ name: 'X-Tenant', value: 'acme-{region}' }],
        eventTypes: ['order.*'],
        timeoutMs: 5000,
        rateLimitPerSecond: 20,
        retryPolicy: fastRetries,
        signing: { type: 'standard-webhooks', secretSet: true },
        auth: { type: 'bearer', secretSet: true },
        handlerId: null,
      });
      const leaks = (body: unknown) => {
        const text = JSON.stringify(body);
        return text.includes(whsec) || text.includes(bearer);
      };
      expect(leaks(endpoint)).toBe(false);

      // Stored sealed, under the names the dispatcher reads.
      const [stored] = await query<{ secrets: Record<string, string>; signing: unknown }>(
        db(),
        `SELECT secrets, signing FROM outbound_endpoints WHERE id = $1`,
        [endpoint.id],
      );
      expect(Object.keys(stored.secrets).sort()).toEqual(['authSecret', 'signingSecret']);
      expect(stored.secrets.signingSecret).toMatch(/^v1:/);
      expect(JSON.stringify(stored)).not.toContain(whsec);
      expect(JSON.stringify(stored)).not.toContain(bearer);

      const got = await harness.admin(`/outbound-endpoints/${endpoint.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(endpoint);

      const listed = await harness.admin('/outbound-endpoints?limit=500');
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((e: any) => e.id)).toContain(endpoint.id);
      expect(leaks(listed.body)).toBe(false);

      // PUT without secrets keeps them; only named fields change.
      const renamed = await harness.admin(`/outbound-endpoints/${endpoint.id}`, {
        method: 'PUT',
        body: {
          name: 'Renamed',
          headerRules: [{ name: 'X-Version', value: '2' }],
          retryPolicy: { maxAttempts: 4 },
        },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({
        name: 'Renamed',
        headerRules: [{ name: 'X-Version', value: '2' }],
        signing: { type: 'standard-webhooks', secretSet: true },
        auth: { type: 'bearer', secretSet: true },
        eventTypes: ['order.*'],
        retryPolicy: { ...fastRetries, maxAttempts: 4 },
      });
      const [kept] = await query<{ secrets: Record<string, string> }>(
        db(),
        `SELECT secrets FROM outbound_endpoints WHERE id = $1`,
        [endpoint.id],
      );
      expect(kept.secrets).toEqual(stored.secrets);

      // A new signing type needs its own secret; dropping auth drops its secret.
      const noSecret = await harness.admin(`/outbound-endpoints/${endpoint.id}`, {
        method: 'PUT',
        body: { signing: { type: 'hmac', header: 'X-Signature' } },
      });
      expect(noSecret.status).toBe(400);
      expect(noSecret.body.details.map((d: any) => d.field)).toEqual(['signing.secret']);
      const hmac = await harness.admin(`/outbound-endpoints/${endpoint.id}`, {
        method: 'PUT',
        body: {
          signing: {
            type: 'hmac',
            header: 'X-Signature',
            secret: 'plain-hmac-key',
            prefix: 'sha256=',
          },
          auth: { type: 'none' },
        },
      });
      expect(hmac.status).toBe(200);
      expect(hmac.body.signing).toEqual({
        type: 'hmac',
        header: 'X-Signature',
        prefix: 'sha256=',
        secretSet: true,
      });
      expect(hmac.body.auth).toEqual({ type: 'none' });
      expect(JSON.stringify(hmac.body)).not.toContain('plain-hmac-key');
      const [after] = await query<{ secrets: Record<string, string> }>(
        db(),
        `SELECT secrets FROM outbound_endpoints WHERE id = $1`,
        [endpoint.id],
      );
      expect(Object.keys(after.secrets)).toEqual(['signingSecret']);
    });

    it('refuses bad templates, retry policies and auth with 400s naming each field, storing nothing', async () => {
      const code = unique('oa');
      const badTemplate = await harness.admin('/outbound-endpoints', {
        body: endpointBody({
          code,
          targetPath: '/orders/{orderId',
          headerRules: [{ name: 'X-Tenant', value: 'acme-{region' }],
        }),
      });
      expect(badTemplate.status).toBe(400);
      expect(badTemplate.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(badTemplate.body.details.map((d: any) => d.field)).toEqual([
        'targetPath',
        'headerRules.0.value',
      ]);

      const outOfBounds = await harness.admin('/outbound-endpoints', {
        body: endpointBody({
          code,
          retryPolicy: { maxAttempts: 0, initialDelaySeconds: 1, multiplier: 0.5 },
        }),
      });
      expect(outOfBounds.status).toBe(400);
      expect(outOfBounds.body.details.map((d: any) => d.field).sort()).toEqual([
        'retryPolicy.maxAttempts',
        'retryPolicy.multiplier',
      ]);

      const inverted = await harness.admin('/outbound-endpoints', {
        body: endpointBody({
          code,
          retryPolicy: { initialDelaySeconds: 600, maxDelaySeconds: 60 },
        }),
      });
      expect(inverted.status).toBe(400);
      expect(inverted.body.details).toEqual([
        {
          field: 'retryPolicy.maxDelaySeconds',
          problems: ['maxDelaySeconds must be at least initialDelaySeconds'],
        },
      ]);

      // Omitted fields take the defaults before the check: initialDelaySeconds 60 > 30.
      const belowDefault = await harness.admin('/outbound-endpoints', {
        body: endpointBody({ code, retryPolicy: { maxDelaySeconds: 30 } }),
      });
      expect(belowDefault.status).toBe(400);
      expect(belowDefault.body.details.map((d: any) => d.field)).toEqual([
        'retryPolicy.maxDelaySeconds',
      ]);

      const badSecurity = await harness.admin('/outbound-endpoints', {
        body: endpointBody({
          code,
          signing: { type: 'standard-webhooks' },
          auth: { type: 'basic', username: 'svc' },
          eventTypes: ['order paid'],
        }),
      });
      expect(badSecurity.status).toBe(400);
      expect(badSecurity.body.details.map((d: any) => d.field)).toEqual([
        'eventTypes.0',
        'signing.secret',
        'auth.password',
      ]);

      const unknownField = await harness.admin('/outbound-endpoints', {
        body: endpointBody({ code, colour: 'blue', method: 'OPTIONS' }),
      });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.details.map((d: any) => d.field).sort()).toEqual([
        'colour',
        'method',
      ]);

      const rows = await query(db(), `SELECT 1 FROM outbound_endpoints WHERE code = $1`, [code]);
      expect(rows).toHaveLength(0);
    });

    it('answers 409 for a duplicate code, 404 for unknown ids and 403 to operators writing', async () => {
      const endpoint = await createEndpoint();
      const duplicate = await harness.admin('/outbound-endpoints', {
        body: endpointBody({ code: endpoint.code }),
      });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      expect(duplicate.body.message).toContain(endpoint.code);

      const other = await createEndpoint();
      const renameClash = await harness.admin(`/outbound-endpoints/${other.id}`, {
        method: 'PUT',
        body: { code: endpoint.code },
      });
      expect(renameClash.status).toBe(409);

      expect((await harness.admin('/outbound-endpoints/not-a-uuid')).status).toBe(404);
      const missing = await harness.admin(
        '/outbound-endpoints/00000000-0000-4000-8000-000000000000',
      );
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe('Not Found');

      const asOperator = await harness.admin('/outbound-endpoints', {
        body: endpointBody(),
        key: OPERATOR_KEY,
      });
      expect(asOperator.status).toBe(403);
      const readAsOperator = await harness.admin(`/outbound-endpoints/${endpoint.id}`, {
        key: OPERATOR_KEY,
      });
      expect(readAsOperator.status).toBe(200);
    });

    it('links an outbound handler by code and refuses an inbound one', async () => {
      const outboundHandler = await harness.admin('/handlers', {
        body: { code: unique('oh'), name: 'out', direction: 'outbound', executionMode: 'rules' },
      });
      const inboundHandler = await harness.admin('/handlers', {
        body: { code: unique('ih'), name: 'in', direction: 'inbound', executionMode: 'rules' },
      });
      const linked = await createEndpoint({ handler: outboundHandler.body.code });
      expect(linked.handlerId).toBe(outboundHandler.body.id);
      const wrong = await harness.admin('/outbound-endpoints', {
        body: endpointBody({ handler: inboundHandler.body.code }),
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.details).toEqual([
        { field: 'handler', problems: ['an outbound endpoint needs an outbound handler'] },
      ]);
      const cleared = await harness.admin(`/outbound-endpoints/${linked.id}`, {
        method: 'PUT',
        body: { handler: null },
      });
      expect(cleared.body.handlerId).toBeNull();
    });
  });

  describe('endpoint states', () => {
    it('a draft endpoint holds its deliveries in draft; activating queues and enqueues them', async () => {
      const endpoint = await createEndpoint({ state: 'draft' });
      const held = await deliver({
        endpoint: endpoint.code,
        payload: { order: 1 },
        context: { orderId: 'A-1' },
      });
      expect(held).toMatchObject({ state: 'draft', endpointId: endpoint.id, duplicate: false });
      expect((await stateOf(held.id)).state).toBe('draft');
      expect(await hasJob(held.id)).toBe(false);

      const activated = await harness.admin(`/outbound-endpoints/${endpoint.id}/activate`, {
        method: 'POST',
      });
      expect(activated.status).toBe(200);
      expect(activated.body.state).toBe('active');
      expect((await stateOf(held.id)).state).toBe('queued');
      expect(await hasJob(held.id)).toBe(true);

      const again = await harness.admin(`/outbound-endpoints/${endpoint.id}/activate`, {
        method: 'POST',
      });
      expect(again.status).toBe(409);
      expect(again.body.details).toEqual({ currentState: 'active' });
    });

    it('re-enables an endpoint disabled by health checks, releasing what it held', async () => {
      const endpoint = await createEndpoint();
      await query(
        db(),
        `UPDATE outbound_endpoints SET disabled_at = now(), disabled_reason = 'answered 410 Gone',
                consecutive_failures = 7 WHERE id = $1`,
        [endpoint.id],
      );
      const held = await deliver({ endpoint: endpoint.code, payload: { n: 1 } });
      await query(db(), `UPDATE deliveries SET state = 'draft' WHERE id = $1`, [held.id]);
      const disabled = await harness.admin(`/outbound-endpoints/${endpoint.id}`);
      expect(disabled.body).toMatchObject({ disabledReason: 'answered 410 Gone' });

      const activated = await harness.admin(`/outbound-endpoints/${endpoint.id}/activate`, {
        method: 'POST',
      });
      expect(activated.status).toBe(200);
      expect(activated.body).toMatchObject({
        state: 'active',
        disabledAt: null,
        disabledReason: null,
        consecutiveFailures: 0,
      });
      expect((await stateOf(held.id)).state).toBe('queued');
    });

    it('archiving dead-letters held deliveries; new requests become dead_letter rows with the reason', async () => {
      const endpoint = await createEndpoint({ state: 'draft' });
      const held = await deliver({ endpoint: endpoint.code, payload: { n: 1 } });

      const archived = await harness.admin(`/outbound-endpoints/${endpoint.id}/archive`, {
        method: 'POST',
      });
      expect(archived.status).toBe(200);
      expect(archived.body.state).toBe('archived');
      expect(await stateOf(held.id)).toEqual({
        state: 'dead_letter',
        last_error: `outbound endpoint "${endpoint.code}" was archived`,
      });

      const late = await deliver({ endpoint: endpoint.code, payload: { n: 2 } });
      expect(late).toMatchObject({
        state: 'dead_letter',
        endpointCode: endpoint.code,
        lastError: `outbound endpoint "${endpoint.code}" is archived`,
      });
      expect(await hasJob(late.id)).toBe(false);

      const twice = await harness.admin(`/outbound-endpoints/${endpoint.id}/archive`, {
        method: 'POST',
      });
      expect(twice.status).toBe(409);
      expect(twice.body.details).toEqual({ currentState: 'archived' });
      const deleted = await harness.admin(`/outbound-endpoints/${endpoint.id}`, {
        method: 'DELETE',
      });
      expect(deleted.status).toBe(200);
      expect(deleted.body.state).toBe('archived');
      const reactivate = await harness.admin(`/outbound-endpoints/${endpoint.id}/activate`, {
        method: 'POST',
      });
      expect(reactivate.status).toBe(409);
      expect(reactivate.body.details).toEqual({ currentState: 'archived' });
      const test = await harness.admin(`/outbound-endpoints/${endpoint.id}/test`, {
        method: 'POST',
        body: {},
      });
      expect(test.status).toBe(409);
    });

    it('sends a test delivery marked isTest', async () => {
      const endpoint = await createEndpoint();
      const res = await harness.admin(`/outbound-endpoints/${endpoint.id}/test`, {
        method: 'POST',
        body: { context: { orderId: 'T-1' } },
      });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        endpointCode: endpoint.code,
        state: 'queued',
        isTest: true,
        context: { orderId: 'T-1' },
        payload: { type: 'hookgate.test', endpoint: endpoint.code },
      });
      expect(await hasJob(res.body.id)).toBe(true);
    });
  });

  describe('publishing', () => {
    it('concurrent publishes of repeated keys make one row per key, every repeat answering it', async () => {
      const endpoint = await createEndpoint();
      const keys = Array.from({ length: 12 }, () => unique('storm'));
      // Each key three times, interleaved, all at once: the repeats race their first row's
      // INSERT (the dispatcher's batched intake is tested in intake.e2e-spec.ts).
      const answers = await Promise.all(
        [0, 1, 2].flatMap((round) =>
          keys.map((key) =>
            deliver({ endpoint: endpoint.code, payload: { key, round }, idempotencyKey: key }),
          ),
        ),
      );
      const rows = await query<{ id: string; idempotency_key: string }>(
        db(),
        `SELECT id, idempotency_key FROM deliveries WHERE endpoint_id = $1`,
        [endpoint.id],
      );
      expect(rows).toHaveLength(keys.length);
      const rowOf = new Map(rows.map((r) => [r.idempotency_key, r.id]));
      for (const key of keys) {
        const mine = answers.filter((a) => a.idempotencyKey === key);
        expect(mine.map((a) => a.id)).toEqual([rowOf.get(key), rowOf.get(key), rowOf.get(key)]);
        expect(mine.filter((a) => !a.duplicate)).toHaveLength(1);
      }
    });

    it('POST /deliveries stores and enqueues, is idempotent per endpoint, and keeps unknown endpoints as dead letters', async () => {
      const endpoint = await createEndpoint();
      const key = unique('idem');
      const first = await deliver({
        endpoint: endpoint.code,
        payload: { order: 42 },
        context: { orderId: '42' },
        idempotencyKey: key,
      });
      expect(first).toMatchObject({
        state: 'queued',
        payload: { order: 42 },
        idempotencyKey: key,
        isTest: false,
        duplicate: false,
      });
      expect(await hasJob(first.id)).toBe(true);
      const again = await deliver({
        endpoint: endpoint.id,
        payload: { order: 42 },
        idempotencyKey: key,
      });
      expect(again).toMatchObject({ id: first.id, duplicate: true });

      const unknown = await deliver({ endpoint: 'oa-no-such-endpoint', payload: {} });
      expect(unknown).toMatchObject({
        state: 'dead_letter',
        endpointId: null,
        lastError: 'unknown outbound endpoint "oa-no-such-endpoint"',
      });

      const bad = await harness.admin('/deliveries', {
        body: { endpoint: endpoint.code, context: { orderId: 42 } },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['context', 'payload']);
    });

    it('POST /events fans out to subscribed, non-archived endpoints once per idempotency key', async () => {
      const type = `oatype${Date.now().toString(36)}`;
      const active = await createEndpoint({ eventTypes: [`${type}.*`] });
      const draft = await createEndpoint({ state: 'draft', eventTypes: [`${type}.paid`] });
      const other = await createEndpoint({ eventTypes: [`${type}.refunded`] });
      const archived = await createEndpoint({ eventTypes: [`${type}.paid`] });
      await harness.admin(`/outbound-endpoints/${archived.id}/archive`, { method: 'POST' });

      const key = unique('evt');
      const res = await harness.admin('/events', {
        body: { eventType: `${type}.paid`, payload: { id: 7 }, idempotencyKey: key },
      });
      expect(res.status).toBe(202);
      const byCode = Object.fromEntries(
        res.body.deliveries.map((d: any) => [d.endpointCode, d]),
      ) as Record<string, any>;
      expect(Object.keys(byCode).sort()).toEqual([active.code, draft.code].sort());
      expect(byCode[active.code]).toMatchObject({ state: 'queued', eventType: `${type}.paid` });
      expect(byCode[draft.code]).toMatchObject({ state: 'draft', eventType: `${type}.paid` });
      expect(byCode[other.code]).toBeUndefined();

      const repeat = await harness.admin('/events', {
        body: { eventType: `${type}.paid`, payload: { id: 7 }, idempotencyKey: key },
      });
      expect(repeat.body.deliveries.map((d: any) => d.id).sort()).toEqual(
        res.body.deliveries.map((d: any) => d.id).sort(),
      );
      expect(repeat.body.deliveries.every((d: any) => d.duplicate)).toBe(true);

      const wildcard = await harness.admin('/events', {
        body: { eventType: `${type}.*`, payload: {} },
      });
      expect(wildcard.status).toBe(400);
    });
  });

  describe('operator actions', () => {
    it('moves a delivery through reset, queue, dead-letter and cancel, refusing illegal moves with 409', async () => {
      const endpoint = await createEndpoint();
      const delivery = await deliver({ endpoint: endpoint.code, payload: { n: 1 } });
      const act = (action: string, key?: string) =>
        harness.admin(`/deliveries/${delivery.id}/${action}`, { method: 'POST', key });

      const queueQueued = await act('queue');
      expect(queueQueued.status).toBe(409);
      expect(queueQueued.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        details: { currentState: 'queued' },
      });

      const canceled = await act('cancel', OPERATOR_KEY);
      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({
        state: 'canceled',
        lastError: 'canceled by an operator',
      });
      expect(canceled.body.completedAt).not.toBeNull();

      const reset = await act('reset', OPERATOR_KEY);
      expect(reset.status).toBe(200);
      expect(reset.body).toMatchObject({ state: 'draft', completedAt: null });

      await deliveryJobs.remove(itemJobId(delivery.id, 0));
      const queued = await act('queue', OPERATOR_KEY);
      expect(queued.status).toBe(200);
      expect(queued.body.state).toBe('queued');
      expect(await hasJob(delivery.id)).toBe(true);

      const dead = await act('dead-letter');
      expect(dead.body.state).toBe('dead_letter');
      expect(dead.body.lastError).toBe('dead-lettered by an operator');

      // The dispatcher owns `processing`, and `done` is final.
      await query(db(), `UPDATE deliveries SET state = 'processing' WHERE id = $1`, [delivery.id]);
      const inFlight = await act('cancel');
      expect(inFlight.status).toBe(409);
      expect(inFlight.body.details).toEqual({ currentState: 'processing' });
      await query(db(), `UPDATE deliveries SET state = 'done' WHERE id = $1`, [delivery.id]);
      for (const action of ['reset', 'queue', 'dead-letter', 'cancel']) {
        const res = await act(action);
        expect(res.status).toBe(409);
        expect(res.body.details).toEqual({ currentState: 'done' });
      }

      // Each action is its own route (resetDelivery, …): an unknown one names no route.
      const unknown = await act('retry');
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('not_found');
      expect((await harness.admin('/deliveries/nope/reset', { method: 'POST' })).status).toBe(404);
    });

    it('answers a delivery with its attempts in order', async () => {
      const endpoint = await createEndpoint();
      const delivery = await deliver({ endpoint: endpoint.code, payload: { n: 1 } });
      await query(
        db(),
        `INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, outcome, response_status,
                                        error, duration_ms, finished_at)
         SELECT id, tenant_id, endpoint_id, n, CASE WHEN n = 1 THEN 'retry' ELSE 'success' END,
                CASE WHEN n = 1 THEN 503 ELSE 200 END, CASE WHEN n = 1 THEN 'HTTP 503' END, 12, now()
           FROM deliveries, (VALUES (2), (1)) AS t(n) WHERE id = $1`,
        [delivery.id],
      );
      const res = await harness.admin(`/deliveries/${delivery.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: delivery.id, payload: { n: 1 }, errorStack: null });
      expect(
        res.body.attempts.map((a: any) => [a.attemptNumber, a.outcome, a.responseStatus]),
      ).toEqual([
        [1, 'retry', 503],
        [2, 'success', 200],
      ]);
      expect(res.body.attempts[0]).toMatchObject({ error: 'HTTP 503', durationMs: 12 });
    });
  });

  describe('listing and replay', () => {
    it('filters by endpoint, state, test flag, event type and time, pages with a cursor', async () => {
      const endpoint = await createEndpoint();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        ids.push((await deliver({ endpoint: endpoint.code, payload: { i } })).id);
      }
      const test = await harness.admin(`/outbound-endpoints/${endpoint.id}/test`, {
        method: 'POST',
        body: { payload: { ping: true } },
      });
      ids.push(test.body.id);
      await harness.admin(`/deliveries/${ids[0]}/cancel`, { method: 'POST' });

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: any = await harness.admin(
          `/deliveries?endpoint=${endpoint.code}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        expect(page.body.items[0]).not.toHaveProperty('payload');
        seen.push(...page.body.items.map((d: any) => d.id));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());

      const byId = await harness.admin(`/deliveries?endpoint=${endpoint.id}&limit=500`);
      expect(byId.body.items).toHaveLength(6);
      const tests = await harness.admin(`/deliveries?endpoint=${endpoint.code}&isTest=true`);
      expect(tests.body.items.map((d: any) => d.id)).toEqual([test.body.id]);
      const real = await harness.admin(`/deliveries?endpoint=${endpoint.code}&isTest=false`);
      expect(real.body.items).toHaveLength(5);
      const canceled = await harness.admin(`/deliveries?endpoint=${endpoint.code}&state=canceled`);
      expect(canceled.body.items.map((d: any) => d.id)).toEqual([ids[0]]);
      const before = await harness.admin(
        `/deliveries?endpoint=${endpoint.code}&to=2000-01-01T00:00:00Z`,
      );
      expect(before.body.items).toHaveLength(0);
      const since = await harness.admin(
        `/deliveries?endpoint=${endpoint.code}&from=2000-01-01T00:00:00Z&limit=500`,
      );
      expect(since.body.items).toHaveLength(6);

      const type = `oalist${Date.now().toString(36)}`;
      const subscribed = await createEndpoint({ eventTypes: [`${type}.created`] });
      await harness.admin('/events', { body: { eventType: `${type}.created`, payload: {} } });
      const byType = await harness.admin(`/deliveries?eventType=${type}.created`);
      expect(byType.body.items.map((d: any) => d.endpointCode)).toEqual([subscribed.code]);

      expect((await harness.admin('/deliveries?state=bogus')).status).toBe(400);
      expect((await harness.admin('/deliveries?cursor=garbage')).status).toBe(400);
      expect((await harness.admin('/deliveries?limit=0')).status).toBe(400);
      expect((await harness.admin('/deliveries?isTest=maybe')).status).toBe(400);
    });

    it('replays dead letters by filter, leaving other states and archived endpoints alone', async () => {
      const endpoint = await createEndpoint();
      const ids: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        ids.push((await deliver({ endpoint: endpoint.code, payload: { i } })).id);
      }
      for (const id of ids.slice(0, 2)) {
        await harness.admin(`/deliveries/${id}/dead-letter`, { method: 'POST' });
      }
      await query(db(), `UPDATE deliveries SET state = 'error', attempts = 1 WHERE id = $1`, [
        ids[2],
      ]);
      for (const id of ids.slice(0, 2)) await deliveryJobs.remove(itemJobId(id, 0));

      const replayed = await harness.admin('/deliveries/replay', {
        body: { state: 'dead_letter', endpoint: endpoint.code, from: '2000-01-01T00:00:00Z' },
        key: OPERATOR_KEY,
      });
      expect(replayed.status).toBe(200);
      expect(replayed.body).toEqual({ replayed: 2 });
      for (const id of ids.slice(0, 2)) {
        expect((await stateOf(id)).state).toBe('queued');
        expect(await hasJob(id)).toBe(true);
      }
      expect((await stateOf(ids[2])).state).toBe('error');

      // Default states are error and dead_letter; the queued ones are untouched.
      const rest = await harness.admin('/deliveries/replay', { body: { endpoint: endpoint.code } });
      expect(rest.body).toEqual({ replayed: 1 });
      expect((await stateOf(ids[2])).state).toBe('queued');
      expect(await hasJob(ids[2], 1)).toBe(true);

      const gone = await createEndpoint();
      const lost = await deliver({ endpoint: gone.code, payload: {} });
      await harness.admin(`/deliveries/${lost.id}/dead-letter`, { method: 'POST' });
      await harness.admin(`/outbound-endpoints/${gone.id}/archive`, { method: 'POST' });
      const none = await harness.admin('/deliveries/replay', { body: { endpoint: gone.code } });
      expect(none.body).toEqual({ replayed: 0 });

      const wrongState = await harness.admin('/deliveries/replay', { body: { state: 'done' } });
      expect(wrongState.status).toBe(400);
      expect(wrongState.body.details[0].field).toBe('state');
    });
  });
});
