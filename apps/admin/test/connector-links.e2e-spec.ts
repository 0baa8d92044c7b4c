import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';
import { hashApiKey } from '../src/auth/api-key.guard';

/**
 * Linking existing endpoints to a connector by hand (`POST /connectors/:id/links`,
 * `DELETE /connectors/:id/links/:kind/:endpointId`) against the real admin app, dispatcher,
 * Postgres and Redis: the link renames the endpoint to `<prefix>-<suffix>`, shows on the
 * connector, is audited, and a delivery published by "connector, suffix" reaches a loopback
 * sink with the connector's auth; the kind's slots, taken slots and another tenant's rows
 * are refused with nothing written.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;

describe('connector links', () => {
  let harness: Harness;
  let sink: Sink;
  let connector: { id: string; technicalPrefix: string; code: string };
  let otherKey: string;
  let otherEndpointId: string;

  const outboundEndpoint = async (key?: string) => {
    const code = unique('hand');
    const res = await harness.admin('/outbound-endpoints', {
      key,
      body: {
        code,
        name: code,
        state: 'active',
        method: 'POST',
        bodyMode: 'json',
        targetHost: sink.url,
        targetPath: '/hand',
      },
    });
    if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; code: string };
  };
  const auditCount = async (action: string, entityId: string) =>
    (
      await query<{ n: number }>(
        db(),
        `SELECT count(*)::int AS n FROM audit_entries WHERE action = $1 AND entity_id = $2`,
        [action, entityId],
      )
    )[0].n;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
    const res = await harness.admin('/connectors', {
      body: {
        kind: 'stripe',
        code: unique('stripe-links'),
        name: 'Stripe by hand',
        baseUrl: sink.url,
        credentials: { secretKey: 'sk_test_links_0123456789', webhookSecret: 'whsec_links_0123' },
      },
    });
    expect(res.status).toBe(201);
    connector = res.body;

    otherKey = `adm-${randomBytes(16).toString('hex')}`;
    const [{ id: otherTenant }] = await query<{ id: string }>(
      db(),
      `INSERT INTO tenants (name) VALUES ($1) RETURNING id`,
      [unique('links-other')],
    );
    await query(
      db(),
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix) VALUES ($1, 'adm', 'admin', $2, 'adm')`,
      [otherTenant, hashApiKey(otherKey)],
    );
    otherEndpointId = (await outboundEndpoint(otherKey)).id;
  });

  afterAll(async () => {
    await sink?.close();
    await harness?.close();
  });

  it('links an outbound endpoint into a template slot, and deliveries by connector and suffix reach it', async () => {
    const endpoint = await outboundEndpoint();
    const res = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'invoices' },
    });
    expect(res.status).toBe(200);
    const code = `${connector.technicalPrefix}-invoices`;
    expect(res.body.outboundEndpoints).toEqual([
      expect.objectContaining({ id: endpoint.id, code, codeSuffix: 'invoices' }),
    ]);
    const [row] = await query<{ code: string; connector_id: string; code_suffix: string }>(
      db(),
      `SELECT code, connector_id, code_suffix FROM outbound_endpoints WHERE id = $1`,
      [endpoint.id],
    );
    expect(row).toEqual({ code, connector_id: connector.id, code_suffix: 'invoices' });
    expect(await auditCount('connector.link', connector.id)).toBe(1);

    // Linking it again into the same slot changes nothing and writes no second audit entry.
    const again = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'invoices' },
    });
    expect(again.status).toBe(200);
    expect(await auditCount('connector.link', connector.id)).toBe(1);

    const before = sink.requests.length;
    const delivery = await harness.admin('/deliveries', {
      body: { connector: connector.code, suffix: 'invoices', payload: { amount: 42 } },
    });
    expect([201, 202]).toContain(delivery.status);
    const arrived = await waitFor(
      () => sink.requests.slice(before).find((r) => r.url === '/hand'),
      {
        what: 'the delivery at the sink',
      },
    );
    // The connector's auth wins over the endpoint's own headers (SPEC §7).
    expect(arrived.headers.authorization).toBe('Bearer sk_test_links_0123456789');
    expect(JSON.parse(arrived.body.toString('utf8'))).toEqual({ amount: 42 });
  });

  it('refuses a slot the kind does not declare, a taken slot, and an endpoint linked elsewhere', async () => {
    const endpoint = await outboundEndpoint();
    const badSuffix = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'refunds' },
    });
    expect(badSuffix.status).toBe(400);
    expect(badSuffix.body.details).toEqual([expect.objectContaining({ field: 'codeSuffix' })]);
    const taken = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'invoices' },
    });
    expect(taken.status).toBe(409);
    const generic = await harness.admin('/connectors', {
      body: { kind: 'stripe', code: unique('stripe-b'), name: 'B', baseUrl: sink.url },
    });
    expect(generic.status).toBe(201);
    expect(
      (
        await harness.admin(`/connectors/${generic.body.id}/links`, {
          body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'customers' },
        })
      ).status,
    ).toBe(200);
    const elsewhere = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'customers' },
    });
    expect(elsewhere.status).toBe(409);
    const [row] = await query<{ connector_id: string; code_suffix: string }>(
      db(),
      `SELECT connector_id, code_suffix FROM outbound_endpoints WHERE id = $1`,
      [endpoint.id],
    );
    expect(row).toEqual({ connector_id: generic.body.id, code_suffix: 'customers' });
  });

  it('links one inbound endpoint (its path becomes the connector’s), refuses a second', async () => {
    const handler = await createHandler(harness, {});
    const first = await createInboundEndpoint(harness, { handler: handler.code });
    const second = await createInboundEndpoint(harness, { handler: handler.code });
    const res = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'inbound', endpointId: first.id },
    });
    expect(res.status).toBe(200);
    expect(res.body.inboundEndpoint).toMatchObject({
      id: first.id,
      path: `${connector.technicalPrefix}-inbound`,
      codeSuffix: 'inbound',
    });
    const refused = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'inbound', endpointId: second.id },
    });
    expect(refused.status).toBe(409);
    const [row] = await query<{ path: string; connector_id: string | null }>(
      db(),
      `SELECT path, connector_id FROM inbound_endpoints WHERE id = $1`,
      [second.id],
    );
    expect(row).toEqual({ path: second.path, connector_id: null });

    const unlinked = await harness.admin(`/connectors/${connector.id}/links/inbound/${first.id}`, {
      method: 'DELETE',
    });
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.inboundEndpoint).toBeNull();
    const [after] = await query<{ path: string; connector_id: string | null }>(
      db(),
      `SELECT path, connector_id FROM inbound_endpoints WHERE id = $1`,
      [first.id],
    );
    expect(after).toEqual({ path: `${connector.technicalPrefix}-inbound`, connector_id: null });
    expect(await auditCount('connector.unlink', connector.id)).toBe(1);
    const notLinked = await harness.admin(`/connectors/${connector.id}/links/inbound/${first.id}`, {
      method: 'DELETE',
    });
    expect(notLinked.status).toBe(404);
  });

  it('answers 404 for another tenant’s endpoint or connector and writes nothing', async () => {
    const audits = async () =>
      (
        await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM audit_entries WHERE action LIKE 'connector.%link'`,
        )
      )[0].n;
    const auditBefore = await audits();
    const foreign = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'outbound', endpointId: otherEndpointId, codeSuffix: 'customers' },
    });
    expect(foreign.status).toBe(404);
    // The other tenant's admin cannot link its endpoint to this tenant's connector either.
    const fromOther = await harness.admin(`/connectors/${connector.id}/links`, {
      key: otherKey,
      body: { endpointKind: 'outbound', endpointId: otherEndpointId, codeSuffix: 'customers' },
    });
    expect(fromOther.status).toBe(404);
    const [row] = await query<{ connector_id: string | null }>(
      db(),
      `SELECT connector_id FROM outbound_endpoints WHERE id = $1`,
      [otherEndpointId],
    );
    expect(row.connector_id).toBeNull();
    expect(await audits()).toBe(auditBefore);
  });

  it('needs an admin key and a valid body', async () => {
    const bad = await harness.admin(`/connectors/${connector.id}/links`, {
      body: { endpointKind: 'sideways', endpointId: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'endpointId',
      'endpointKind',
    ]);
    const badKind = await harness.admin(
      `/connectors/${connector.id}/links/sideways/${otherEndpointId}`,
      { method: 'DELETE' },
    );
    expect(badKind.status).toBe(400);
  });
});
