import type { INestApplication } from '@nestjs/common';
import { PgProxy } from '../../../test/chaos/support/pg-proxy';
import { query } from '../../../test/support/database';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';

/**
 * `DELETE /connectors/:id/links/:endpointKind/:endpointId` while Postgres is away: the
 * admin reaches Postgres through a TCP proxy the test cuts (the shared server is never
 * touched). The unlink answers 503 `unavailable` in the error shape by a deadline, the
 * process keeps serving, nothing is half-done (the endpoint is still linked, no
 * `connector.unlink` audit entry), and once Postgres is back the unlink succeeds exactly
 * once (one audit entry; a second DELETE is a 404).
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;
const DEADLINE_MS = 10_000;

describe('admin API: unlinking a connector endpoint while Postgres is down', () => {
  let proxy: PgProxy;
  let app: INestApplication;
  let url: string;
  const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${url}/api/v1${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(DEADLINE_MS),
    });

  beforeAll(async () => {
    const target = new URL(db());
    proxy = await PgProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    ({ app, url } = await startAdminApp({
      DATABASE_URL: proxy.rewrite(db()),
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      LOG_LEVEL: 'fatal',
      DB_POOL_SIZE: '2',
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    }));
  });

  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxy?.close();
  });

  it('answers 503 unavailable, leaves the link and the audit untouched, then unlinks exactly once', async () => {
    const connectorRes = await call('POST', '/connectors', {
      kind: 'stripe',
      code: unique('stripe-unlink-pgdown'),
      name: 'Stripe, unlink while Postgres is down',
      baseUrl: 'http://127.0.0.1:9',
      credentials: { secretKey: 'sk_test_unlink_0123456789', webhookSecret: 'whsec_unlink_0123' },
    });
    expect(connectorRes.status).toBe(201);
    const connector = (await connectorRes.json()) as { id: string; technicalPrefix: string };
    const endpointRes = await call(
      'POST',
      '/outbound-endpoints',
      sinkEndpointBody(unique('unlink-pgdown'), 'http://127.0.0.1:9'),
    );
    expect(endpointRes.status).toBe(201);
    const endpoint = (await endpointRes.json()) as { id: string };
    const linked = await call('POST', `/connectors/${connector.id}/links`, {
      endpointKind: 'outbound',
      endpointId: endpoint.id,
      codeSuffix: 'invoices',
    });
    expect(linked.status).toBe(200);
    const code = `${connector.technicalPrefix}-invoices`;

    const linkRow = async () =>
      (
        await query<{ code: string; connector_id: string | null; code_suffix: string | null }>(
          db(),
          `SELECT code, connector_id, code_suffix FROM outbound_endpoints WHERE id = $1`,
          [endpoint.id],
        )
      )[0];
    const unlinkAudits = async () =>
      (
        await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM audit_entries
            WHERE action = 'connector.unlink' AND entity_id = $1`,
          [connector.id],
        )
      )[0].n;
    const unlink = () =>
      call('DELETE', `/connectors/${connector.id}/links/outbound/${endpoint.id}`);

    proxy.cut();
    const started = Date.now();
    const during = await unlink();
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    expect(during.status).toBe(503);
    const body = (await during.json()) as { statusCode: number; code: string };
    expect(body).toMatchObject({ statusCode: 503, code: 'unavailable' });
    // Still serving while Postgres is away.
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // Nothing half-done: read straight from Postgres (not through the cut proxy).
    expect(await linkRow()).toEqual({ code, connector_id: connector.id, code_suffix: 'invoices' });
    expect(await unlinkAudits()).toBe(0);

    proxy.restore();
    let after: Response | undefined;
    for (let i = 0; i < 50; i++) {
      after = await unlink();
      if (after.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(after!.status).toBe(200);
    const view = (await after!.json()) as { outboundEndpoints: unknown[] };
    expect(view.outboundEndpoints).toEqual([]);
    expect(await linkRow()).toEqual({ code, connector_id: null, code_suffix: null });
    expect(await unlinkAudits()).toBe(1);

    // A second unlink is refused and writes nothing more.
    const again = await unlink();
    expect(again.status).toBe(404);
    expect(await unlinkAudits()).toBe(1);
  });
});
