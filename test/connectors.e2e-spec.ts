import Stripe from 'stripe';
import { HookgatePublisher } from '@app/messaging';
import { hashApiKey } from '../apps/admin/src/auth/api-key.guard';
import { startHarness, type Harness } from './support/harness';
import { post, unique } from './support/fixtures';
import { defaultTenantId, query } from './support/database';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * Connectors (SPEC §7) across the real admin API, gateway, dispatcher, Postgres and Redis,
 * with loopback sinks as the fake Stripe API: provisioning from the kind's template
 * (idempotent, per-connector codes), a Stripe event signed by the official SDK landing as
 * a record, connector auth winning over header rules, the inactive-connector gate, and
 * linked codes refusing edits.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;
const stripe = new Stripe('sk_test_unused');
const SECRET_KEY = 'sk_test_connector_0123456789';
const WEBHOOK_SECRET = 'whsec_connector_test_secret_0123456789';

type Report = {
  changed: boolean;
  actions: Array<{ entity: string; code: string; action: string; fields?: string[] }>;
};

describe('connectors', () => {
  let harness: Harness;
  let stripeApi: Sink;
  let publisher: HookgatePublisher;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    stripeApi = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await stripeApi?.close();
    await harness?.close();
  });

  async function createConnector(body: Record<string, unknown>) {
    const res = await harness.admin('/connectors', { body });
    if (res.status !== 201)
      throw new Error(`connector not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function stripeConnector(baseUrl: string) {
    return createConnector({
      kind: 'stripe',
      code: unique('stripe'),
      name: 'Stripe test account',
      baseUrl,
      credentials: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET },
    });
  }

  async function provision(id: string): Promise<Report> {
    const res = await harness.admin(`/connectors/${id}/provision`, { method: 'POST' });
    if (res.status !== 200)
      throw new Error(`provision failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function deliveryState(id: string, states: string[]) {
    return waitFor(
      async () => {
        const [row] = await query<{ state: string; last_error: string | null }>(
          db(),
          `SELECT state, last_error FROM deliveries WHERE id = $1`,
          [id],
        );
        return row && states.includes(row.state) ? row : undefined;
      },
      { what: `delivery ${id} in ${states.join('/')}` },
    );
  }

  describe('a provisioned stripe connector', () => {
    let connector: any;
    let first: Report;

    beforeAll(async () => {
      connector = await stripeConnector(stripeApi.url);
      first = await provision(connector.id);
    });

    it('keeps credentials write-only', async () => {
      expect(connector.credentialsSet).toBe(true);
      expect(connector.credentialNames).toEqual(['secretKey', 'webhookSecret']);
      expect(connector.technicalPrefix).toBe(`stripe-${connector.id}`);
      const read = await harness.admin(`/connectors/${connector.id}`);
      expect(JSON.stringify(read.body)).not.toContain(SECRET_KEY);
      expect(JSON.stringify(read.body)).not.toContain(WEBHOOK_SECRET);
      const [row] = await query<{ credentials: string }>(
        db(),
        `SELECT credentials FROM connectors WHERE id = $1`,
        [connector.id],
      );
      expect(row.credentials).not.toContain(SECRET_KEY);
    });

    it('creates one inbound endpoint and its outbound endpoints, linked and shown on the connector', async () => {
      const prefix = `stripe-${connector.id}`;
      expect(first.changed).toBe(true);
      expect(first.actions.map((a) => [a.entity, a.code, a.action])).toEqual([
        ['handler', `${prefix}-events`, 'created'],
        ['inbound-endpoint', `${prefix}-inbound`, 'created'],
        ['outbound-endpoint', `${prefix}-customers`, 'created'],
        ['outbound-endpoint', `${prefix}-customer-update`, 'created'],
        ['outbound-endpoint', `${prefix}-invoices`, 'created'],
      ]);
      const inbound = await query(
        db(),
        `SELECT path, code_suffix, active, secrets FROM inbound_endpoints WHERE connector_id = $1`,
        [connector.id],
      );
      expect(inbound).toHaveLength(1);
      expect(inbound[0]).toMatchObject({
        path: `${prefix}-inbound`,
        code_suffix: 'inbound',
        active: true,
      });
      expect(JSON.stringify(inbound[0].secrets)).not.toContain(WEBHOOK_SECRET);
      const outbound = await query<{
        code: string;
        code_suffix: string;
        state: string;
        body_mode: string;
      }>(
        db(),
        `SELECT code, code_suffix, state, body_mode FROM outbound_endpoints WHERE connector_id = $1 ORDER BY code`,
        [connector.id],
      );
      expect(outbound.map((e) => [e.code, e.code_suffix, e.state, e.body_mode])).toEqual([
        [`${prefix}-customer-update`, 'customer-update', 'active', 'form'],
        [`${prefix}-customers`, 'customers', 'active', 'form'],
        [`${prefix}-invoices`, 'invoices', 'active', 'form'],
      ]);

      const detail = await harness.admin(`/connectors/${connector.id}`);
      expect(detail.status).toBe(200);
      expect(detail.body.inboundEndpoint).toMatchObject({
        path: `${prefix}-inbound`,
        url: `/webhooks/${prefix}-inbound`,
        codeSuffix: 'inbound',
      });
      expect(detail.body.outboundEndpoints.map((e: any) => e.codeSuffix)).toEqual([
        'customer-update',
        'customers',
        'invoices',
      ]);
    });

    it('changes nothing when provisioned again', async () => {
      const before = await query(
        db(),
        `SELECT id, updated_at FROM outbound_endpoints WHERE connector_id = $1
         UNION ALL SELECT id, updated_at FROM inbound_endpoints WHERE connector_id = $1 ORDER BY id`,
        [connector.id],
      );
      const again = await provision(connector.id);
      expect(again.changed).toBe(false);
      expect(again.actions).toHaveLength(5);
      expect(again.actions.every((a) => a.action === 'unchanged')).toBe(true);
      const after = await query(
        db(),
        `SELECT id, updated_at FROM outbound_endpoints WHERE connector_id = $1
         UNION ALL SELECT id, updated_at FROM inbound_endpoints WHERE connector_id = $1 ORDER BY id`,
        [connector.id],
      );
      expect(after).toEqual(before);
      const [handlers] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM handlers WHERE code = $1`,
        [`stripe-${connector.id}-events`],
      );
      expect(Number(handlers.n)).toBe(1);
    });

    it('gives a second connector of the kind its own endpoints', async () => {
      const second = await stripeConnector(stripeApi.url);
      const report = await provision(second.id);
      expect(report.actions.filter((a) => a.action === 'created')).toHaveLength(5);
      const paths = await query<{ path: string }>(
        db(),
        `SELECT path FROM inbound_endpoints WHERE connector_id IN ($1, $2) ORDER BY path`,
        [connector.id, second.id],
      );
      expect(new Set(paths.map((p) => p.path)).size).toBe(2);
      const codes = await query<{ code: string }>(
        db(),
        `SELECT code FROM outbound_endpoints WHERE connector_id IN ($1, $2)`,
        [connector.id, second.id],
      );
      expect(new Set(codes.map((c) => c.code)).size).toBe(6);
    });

    it('lands a customer.created event signed with the stripe SDK as a stripe_customers record', async () => {
      const customerId = unique('cus');
      const body = JSON.stringify({
        id: unique('evt'),
        object: 'event',
        type: 'customer.created',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        data: {
          object: { id: customerId, object: 'customer', email: 'ada@example.com', name: 'Ada' },
        },
      });
      const signature = stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: WEBHOOK_SECRET,
      });
      const res = await post(harness, `/webhooks/stripe-${connector.id}-inbound`, body, {
        'stripe-signature': signature,
      });
      expect(res.status).toBe(202);
      const record = await waitFor(
        async () => {
          const rows = await query<{ data: any; created_by_event: string }>(
            db(),
            `SELECT data, created_by_event FROM records WHERE model = 'stripe_customers' AND data->>'stripeId' = $1`,
            [customerId],
          );
          return rows.length === 1 ? rows[0] : undefined;
        },
        { what: 'the stripe_customers record' },
      );
      expect(record.data).toMatchObject({
        stripeId: customerId,
        email: 'ada@example.com',
        name: 'Ada',
        lastEventType: 'customer.created',
      });
      expect(record.created_by_event).toBe(res.body.id);
      const [event] = await query<{ state: string }>(
        db(),
        `SELECT state FROM inbound_events WHERE id = $1`,
        [res.body.id],
      );
      expect(event.state).toBe('done');

      const forged = await post(harness, `/webhooks/stripe-${connector.id}-inbound`, body, {
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: 'whsec_someone_else',
        }),
      });
      expect(forged.status).toBe(401);
    });

    it('sends with the connector auth even when a header rule sets another Authorization', async () => {
      const [endpoint] = await query<{ id: string }>(
        db(),
        `SELECT id FROM outbound_endpoints WHERE connector_id = $1 AND code_suffix = 'customers'`,
        [connector.id],
      );
      const put = await harness.admin(`/outbound-endpoints/${endpoint.id}`, {
        method: 'PUT',
        body: {
          headerRules: [
            { name: 'Authorization', value: 'Bearer not-the-connector' },
            { name: 'X-Extra', value: 'kept' },
          ],
        },
      });
      expect(put.status).toBe(200);
      stripeApi.requests.length = 0;

      const res = await harness.admin('/deliveries', {
        body: {
          connector: connector.code,
          suffix: 'customers',
          payload: { email: 'grace@example.com', metadata: { team: 'billing' } },
          idempotencyKey: 'create-grace',
        },
      });
      expect(res.status).toBe(202);
      await deliveryState(res.body.id, ['done']);
      expect(stripeApi.requests).toHaveLength(1);
      const sent = stripeApi.requests[0];
      expect(sent.method).toBe('POST');
      expect(sent.url).toBe('/v1/customers');
      expect(sent.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
      expect(sent.headers['idempotency-key']).toBe('create-grace');
      expect(sent.headers['x-extra']).toBe('kept');
      expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(new URLSearchParams(sent.body.toString()).get('metadata[team]')).toBe('billing');

      const [attempt] = await query<{ request: any }>(
        db(),
        `SELECT request FROM delivery_attempts WHERE delivery_id = $1`,
        [res.body.id],
      );
      expect(JSON.stringify(attempt.request)).not.toContain(SECRET_KEY);
    });

    it('resolves "connector X, suffix Y" in the publisher client', async () => {
      stripeApi.requests.length = 0;
      const key = unique('pub');
      await publisher.deliver({
        connector: connector.code,
        suffix: 'customer-update',
        payload: { name: 'Grace Hopper' },
        context: { customerId: 'cus_42' },
        idempotencyKey: key,
      });
      const delivery = await waitFor(async () => {
        const rows = await query<{ id: string; state: string; endpoint_code: string }>(
          db(),
          `SELECT id, state, endpoint_code FROM deliveries WHERE idempotency_key = $1`,
          [key],
        );
        return rows[0]?.state === 'done' ? rows[0] : undefined;
      });
      expect(delivery.endpoint_code).toBe(`stripe-${connector.id}-customer-update`);
      expect(stripeApi.requests.map((r) => r.url)).toEqual(['/v1/customers/cus_42']);
      expect(stripeApi.requests[0].headers['idempotency-key']).toBe(key);

      const unknown = await harness.admin('/deliveries', {
        body: { connector: connector.code, suffix: 'nope', payload: {} },
      });
      expect(unknown.status).toBe(202);
      expect(unknown.body.state).toBe('dead_letter');
    });

    it('refuses manual edits of linked codes and paths with 409', async () => {
      const detail = (await harness.admin(`/connectors/${connector.id}`)).body;
      const outbound = detail.outboundEndpoints[0];
      const code = await harness.admin(`/outbound-endpoints/${outbound.id}`, {
        method: 'PUT',
        body: { code: 'my-own-code' },
      });
      expect(code.status).toBe(409);
      expect(code.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      const path = await harness.admin(`/inbound-endpoints/${detail.inboundEndpoint.id}`, {
        method: 'PUT',
        body: { path: 'my-own-path' },
      });
      expect(path.status).toBe(409);
      const [row] = await query<{ code: string }>(
        db(),
        `SELECT code FROM outbound_endpoints WHERE id = $1`,
        [outbound.id],
      );
      expect(row.code).toBe(outbound.code);
    });

    it('puts back what the template owns when provisioned after a change, keeping the rows', async () => {
      const [before] = await query<{ id: string }>(
        db(),
        `SELECT id FROM outbound_endpoints WHERE connector_id = $1 AND code_suffix = 'customers'`,
        [connector.id],
      );
      // The customers endpoint now differs from the template (header rules edited above).
      const report = await provision(connector.id);
      expect(report.changed).toBe(true);
      const updated = report.actions.filter((a) => a.action === 'updated');
      expect(updated).toEqual([
        expect.objectContaining({
          entity: 'outbound-endpoint',
          code: `stripe-${connector.id}-customers`,
          fields: ['header_rules'],
        }),
      ]);
      const [after] = await query<{ id: string; header_rules: unknown }>(
        db(),
        `SELECT id, header_rules FROM outbound_endpoints WHERE connector_id = $1 AND code_suffix = 'customers'`,
        [connector.id],
      );
      expect(after).toEqual({ id: before.id, header_rules: [] });
      const [attempts] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM deliveries WHERE endpoint_id = $1`,
        [before.id],
      );
      expect(Number(attempts.n)).toBeGreaterThan(0);
    });
  });

  it('cancels a deactivated connector’s deliveries without an HTTP call', async () => {
    const fake = await startSink();
    try {
      const connector = await stripeConnector(fake.url);
      await provision(connector.id);
      const put = await harness.admin(`/connectors/${connector.id}`, {
        method: 'PUT',
        body: { active: false },
      });
      expect(put.status).toBe(200);
      expect(put.body.active).toBe(false);
      const res = await harness.admin('/deliveries', {
        body: { connector: connector.id, suffix: 'invoices', payload: { customer: 'cus_1' } },
      });
      expect(res.status).toBe(202);
      const row = await deliveryState(res.body.id, ['canceled', 'done', 'error', 'dead_letter']);
      expect(row.state).toBe('canceled');
      expect(row.last_error).toContain('inactive');
      expect(fake.requests).toHaveLength(0);
      expect(fake.connections).toBe(0);
      const audit = await query<{ action: string; before: unknown; after: unknown }>(
        db(),
        `SELECT action, before, after FROM audit_entries WHERE entity_id = $1 ORDER BY created_at, id`,
        [connector.id],
      );
      expect(audit.map((a) => a.action)).toEqual([
        'connector.create',
        'connector.provision',
        'connector.update',
      ]);
      expect(audit[2]).toMatchObject({ before: { active: true }, after: { active: false } });
      expect(JSON.stringify(audit)).not.toContain(SECRET_KEY);
      expect(JSON.stringify(audit)).not.toContain(WEBHOOK_SECRET);
      const attempts = await query(db(), `SELECT 1 FROM delivery_attempts WHERE delivery_id = $1`, [
        res.body.id,
      ]);
      expect(attempts).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });

  it('sends generic-http deliveries to the connector base URL with bearer or basic credentials', async () => {
    const api = await startSink();
    try {
      const bearer = await createConnector({
        kind: 'generic-http',
        code: unique('partner'),
        name: 'Partner API',
        baseUrl: `${api.url}/inbox`,
        credentials: { token: 'partner-token-123' },
      });
      const basic = await createConnector({
        kind: 'generic-http',
        code: unique('legacy'),
        name: 'Legacy API',
        baseUrl: `${api.url}/legacy`,
        credentials: { username: 'hookgate', password: 'p@ss' },
      });
      for (const c of [bearer, basic]) {
        const report = await provision(c.id);
        expect(report.actions.map((a) => a.code)).toEqual([`generic-http-${c.id}-default`]);
      }
      const a = await harness.admin('/deliveries', {
        body: { connector: bearer.code, suffix: 'default', payload: { n: 1 } },
      });
      const b = await harness.admin('/deliveries', {
        body: { connector: basic.code, suffix: 'default', payload: { n: 2 } },
      });
      await deliveryState(a.body.id, ['done']);
      await deliveryState(b.body.id, ['done']);
      const byUrl = Object.fromEntries(api.requests.map((r) => [r.url, r]));
      expect(byUrl['/inbox'].headers.authorization).toBe('Bearer partner-token-123');
      expect(byUrl['/legacy'].headers.authorization).toBe(
        `Basic ${Buffer.from('hookgate:p@ss').toString('base64')}`,
      );
      expect(JSON.parse(byUrl['/inbox'].body.toString())).toEqual({ n: 1 });
    } finally {
      await api.close();
    }
  });

  describe('the API', () => {
    it('refuses bad input with 400 and changes nothing', async () => {
      const code = unique('bad');
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ kind: 'nope', code, name: 'x' }, 'kind'],
        [{ kind: 'stripe', code, name: 'x', credentials: { apiKey: 'k' } }, 'credentials'],
        [
          { kind: 'stripe', code, name: 'x', credentials: { secretKey: 'nope' } },
          'credentials.secretKey',
        ],
        [{ kind: 'stripe', code, name: 'x', baseUrl: 'ftp://x' }, 'baseUrl'],
        [{ kind: 'stripe', code: 'Not A Slug', name: 'x' }, 'code'],
        [{ kind: 'generic-http', code, name: 'x' }, 'baseUrl'],
      ];
      for (const [body, field] of cases) {
        const res = await harness.admin('/connectors', { body });
        expect(res.status).toBe(400);
        expect(res.body.details.map((d: any) => d.field)).toContain(field);
      }
      const rows = await query(db(), `SELECT 1 FROM connectors WHERE code = $1`, [code]);
      expect(rows).toHaveLength(0);
    });

    it('answers 409 for a duplicate code and 400 when provisioning lacks a needed credential', async () => {
      const first = await createConnector({ kind: 'stripe', code: unique('dup'), name: 'x' });
      const dup = await harness.admin('/connectors', {
        body: { kind: 'stripe', code: first.code, name: 'y' },
      });
      expect(dup.status).toBe(409);
      const res = await harness.admin(`/connectors/${first.id}/provision`, { method: 'POST' });
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe('credentials.webhookSecret');
      const made = await query(db(), `SELECT 1 FROM handlers WHERE code LIKE $1`, [
        `stripe-${first.id}-%`,
      ]);
      expect(made).toHaveLength(0);
    });

    it('needs an admin key for writes and scopes connectors to the tenant', async () => {
      const connector = await createConnector({
        kind: 'stripe',
        code: unique('scoped'),
        name: 'x',
      });
      const [tenant] = await query<{ id: string }>(
        db(),
        `INSERT INTO tenants (name) VALUES ($1) RETURNING id`,
        [unique('tenant')],
      );
      const defaultTenant = await defaultTenantId();
      const operatorKey = unique('operator-key-0123456789');
      const otherKey = unique('other-tenant-key-0123456789');
      await query(
        db(),
        `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix)
         VALUES ($1, 'op', 'operator', $2, 'op'), ($3, 'other', 'admin', $4, 'ot')`,
        [defaultTenant, hashApiKey(operatorKey), tenant.id, hashApiKey(otherKey)],
      );
      expect((await harness.admin('/connectors', { key: operatorKey })).status).toBe(200);
      const write = await harness.admin(`/connectors/${connector.id}`, {
        method: 'PUT',
        body: { name: 'renamed' },
        key: operatorKey,
      });
      expect(write.status).toBe(403);
      const provisionAsOperator = await harness.admin(`/connectors/${connector.id}/provision`, {
        method: 'POST',
        key: operatorKey,
      });
      expect(provisionAsOperator.status).toBe(403);
      expect((await harness.admin(`/connectors/${connector.id}`, { key: otherKey })).status).toBe(
        404,
      );
      const list = await harness.admin('/connectors', { key: otherKey });
      expect(list.body).toEqual([]);
    });
  });
});
