import { randomBytes } from 'node:crypto';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';

/**
 * Roles and tenancy on this round's routes, against the real admin app, Postgres and Redis:
 * `POST /outbound-endpoints/:id/rotate-secret`, `POST /connectors/:id/links`,
 * `DELETE /connectors/:id/links/:kind/:endpointId` and `POST /deliveries` with `files`.
 * An operator of the owning tenant is refused (403) and another tenant's admin finds nothing
 * (404), with the secrets column, the link and the audit trail byte for byte as before; a
 * publisher sends files within the limits, is refused over them with nothing stored, and
 * another tenant cannot read the delivery or its file bytes.
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;
const MAX_FILE = 4096;
const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;

describe('this round’s routes: roles and tenancy', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      env: {
        OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
        DELIVER_FILE_MAX_BYTES: String(MAX_FILE),
      },
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function newTenant(): Promise<{ id: string; key: string }> {
    const res = await harness.admin('/tenants', {
      key: TEST_ADMIN_KEY,
      body: { name: unique('rr').toLowerCase(), retentionDays: 7 },
    });
    expect(res.status).toBe(201);
    return { id: res.body.tenant.id, key: res.body.adminKey.key };
  }

  async function newKey(adminKey: string, role: 'operator' | 'publisher'): Promise<string> {
    const res = await harness.admin('/api-keys', {
      key: adminKey,
      body: { name: unique(role), role },
    });
    expect(res.status).toBe(201);
    return res.body.key;
  }

  async function signedEndpoint(
    key: string,
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; code: string }> {
    const res = await harness.admin('/outbound-endpoints', {
      key,
      body: sinkEndpointBody(unique('rr-ep'), 'http://127.0.0.1:9', {
        signing: { type: 'standard-webhooks', secret: whsec() },
        ...overrides,
      }),
    });
    if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function connector(key: string): Promise<{ id: string; technicalPrefix: string }> {
    const res = await harness.admin('/connectors', {
      key,
      body: {
        kind: 'stripe',
        code: unique('rr-stripe'),
        name: 'Stripe',
        baseUrl: 'http://127.0.0.1:9',
        credentials: { secretKey: 'sk_test_rr_0123456789', webhookSecret: 'whsec_rr_0123' },
      },
    });
    if (res.status !== 201) throw new Error(`connector: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The endpoint's stored secrets and link, as text, so "unchanged" means byte-identical. */
  const endpointState = async (id: string) =>
    (
      await query<{
        secrets: string | null;
        signing: string | null;
        code: string;
        connector_id: string | null;
        code_suffix: string | null;
      }>(
        db(),
        `SELECT secrets::text AS secrets, signing::text AS signing, code, connector_id, code_suffix
           FROM outbound_endpoints WHERE id = $1`,
        [id],
      )
    )[0];
  const audits = async () =>
    query<{ action: string; entity_id: string }>(
      db(),
      `SELECT action, entity_id FROM audit_entries
        WHERE action IN ('outbound-endpoint.rotate-secret', 'connector.link', 'connector.unlink')
        ORDER BY action, entity_id`,
    );

  it('an operator of the owning tenant gets 403 on rotate-secret, link and unlink, and nothing changes', async () => {
    const tenant = await newTenant();
    const operator = await newKey(tenant.key, 'operator');
    const conn = await connector(tenant.key);
    const linked = await signedEndpoint(tenant.key);
    const free = await signedEndpoint(tenant.key);
    const link = await harness.admin(`/connectors/${conn.id}/links`, {
      key: tenant.key,
      body: { endpointKind: 'outbound', endpointId: linked.id, codeSuffix: 'invoices' },
    });
    expect(link.status).toBe(200);

    const [linkedBefore, freeBefore, auditBefore] = [
      await endpointState(linked.id),
      await endpointState(free.id),
      await audits(),
    ];
    expect(linkedBefore.secrets).not.toBeNull();
    expect(linkedBefore).toMatchObject({ connector_id: conn.id, code_suffix: 'invoices' });
    expect(freeBefore).toMatchObject({ connector_id: null, code_suffix: null });

    const expectForbidden = (res: { status: number; body: any }) =>
      expect({ status: res.status, code: res.body?.code }).toEqual({
        status: 403,
        code: 'forbidden',
      });
    for (const target of [linked, free]) {
      expectForbidden(
        await harness.admin(`/outbound-endpoints/${target.id}/rotate-secret`, {
          key: operator,
          body: {},
        }),
      );
      expectForbidden(
        await harness.admin(`/outbound-endpoints/${target.id}/rotate-secret`, {
          key: operator,
          body: { secret: whsec(), overlapSeconds: 0 },
        }),
      );
    }
    expectForbidden(
      await harness.admin(`/connectors/${conn.id}/links`, {
        key: operator,
        body: { endpointKind: 'outbound', endpointId: free.id, codeSuffix: 'customers' },
      }),
    );
    expectForbidden(
      await harness.admin(`/connectors/${conn.id}/links/outbound/${linked.id}`, {
        key: operator,
        method: 'DELETE',
      }),
    );

    expect(await endpointState(linked.id)).toEqual(linkedBefore);
    expect(await endpointState(free.id)).toEqual(freeBefore);
    expect(await audits()).toEqual(auditBefore);
    // The connector still shows the link to its own admin.
    const shown = await harness.admin(`/connectors/${conn.id}`, { key: tenant.key });
    expect(shown.status).toBe(200);
    expect(shown.body.outboundEndpoints.map((e: { id: string }) => e.id)).toEqual([linked.id]);
  });

  it('another tenant’s admin gets 404 rotating A’s secret or unlinking A’s endpoint, and nothing changes', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const conn = await connector(a.key);
    const endpoint = await signedEndpoint(a.key);
    const free = await signedEndpoint(a.key);
    const link = await harness.admin(`/connectors/${conn.id}/links`, {
      key: a.key,
      body: { endpointKind: 'outbound', endpointId: endpoint.id, codeSuffix: 'invoices' },
    });
    expect(link.status).toBe(200);
    const [before, freeBefore, auditBefore] = [
      await endpointState(endpoint.id),
      await endpointState(free.id),
      await audits(),
    ];

    const expectNotFound = (res: { status: number; body: any }) =>
      expect({ status: res.status, code: res.body?.code }).toEqual({
        status: 404,
        code: 'not_found',
      });
    const rotated = await harness.admin(`/outbound-endpoints/${endpoint.id}/rotate-secret`, {
      key: b.key,
      body: {},
    });
    expectNotFound(rotated);
    expect(JSON.stringify(rotated.body)).not.toMatch(/whsec_/);
    expectNotFound(
      await harness.admin(`/outbound-endpoints/${endpoint.id}/rotate-secret`, {
        key: b.key,
        body: { secret: whsec(), overlapSeconds: 0 },
      }),
    );
    expectNotFound(
      await harness.admin(`/connectors/${conn.id}/links/outbound/${endpoint.id}`, {
        key: b.key,
        method: 'DELETE',
      }),
    );
    // Nor can B link A's free endpoint into A's connector.
    expectNotFound(
      await harness.admin(`/connectors/${conn.id}/links`, {
        key: b.key,
        body: { endpointKind: 'outbound', endpointId: free.id, codeSuffix: 'customers' },
      }),
    );

    expect(await endpointState(endpoint.id)).toEqual(before);
    expect(await endpointState(free.id)).toEqual(freeBefore);
    expect(before).toMatchObject({ connector_id: conn.id, code_suffix: 'invoices' });
    expect(await audits()).toEqual(auditBefore);
  });

  it('a publisher sends files within the limits, is refused over them with nothing stored, and another tenant reads none of it', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const publisher = await newKey(a.key, 'publisher');
    const code = unique('rr-mp');
    const endpoint = await harness.admin('/outbound-endpoints', {
      key: a.key,
      body: sinkEndpointBody(code, 'http://127.0.0.1:9', { bodyMode: 'multipart' }),
    });
    expect(endpoint.status).toBe(201);

    const bytes = Buffer.concat([Buffer.from('rr-secret-file-'), randomBytes(1500)]);
    const base64 = bytes.toString('base64');
    const sent = await harness.admin('/deliveries', {
      key: publisher,
      body: {
        endpoint: code,
        payload: { n: 1 },
        files: [
          {
            field: 'doc',
            filename: 'doc.bin',
            contentType: 'application/octet-stream',
            contentBase64: base64,
          },
        ],
      },
    });
    expect(sent.status).toBe(202);
    const id: string = sent.body.id;
    const stored = await query<{ field: string; filename: string; content: Buffer }>(
      db(),
      `SELECT field, filename, content FROM delivery_files WHERE delivery_id = $1 ORDER BY position`,
      [id],
    );
    expect(stored.map((f) => [f.field, f.filename])).toEqual([['doc', 'doc.bin']]);
    expect(stored[0].content.equals(bytes)).toBe(true);

    const counts = async () =>
      (
        await query<{ deliveries: number; files: number }>(
          db(),
          `SELECT (SELECT count(*)::int FROM deliveries) AS deliveries,
                  (SELECT count(*)::int FROM delivery_files) AS files`,
        )
      )[0];
    const before = await counts();
    const over = await harness.admin('/deliveries', {
      key: publisher,
      body: {
        endpoint: code,
        payload: {},
        files: [
          {
            field: 'big',
            filename: 'big.bin',
            contentBase64: randomBytes(MAX_FILE + 1).toString('base64'),
          },
        ],
      },
    });
    expect(over.status).toBe(400);
    expect(over.body.details).toEqual([
      expect.objectContaining({ field: 'files[0].contentBase64' }),
    ]);
    expect(await counts()).toEqual(before);

    // Tenant B's admin: 404 on the id, and neither the bytes nor their base64 in the answer.
    const raw = await fetch(`${harness.adminUrl}/api/v1/deliveries/${id}`, {
      headers: { authorization: `Bearer ${b.key}` },
    });
    const text = await raw.text();
    expect(raw.status).toBe(404);
    expect(JSON.parse(text).code).toBe('not_found');
    expect(text).not.toContain(base64.slice(0, 40));
    expect(text).not.toContain('rr-secret-file-');
    expect(text).not.toContain('doc.bin');
    const listed = await harness.admin('/deliveries?limit=500', { key: b.key });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((d: { id: string }) => d.id)).not.toContain(id);
  });
});
