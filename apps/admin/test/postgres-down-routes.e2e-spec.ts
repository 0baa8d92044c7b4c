import type { INestApplication } from '@nestjs/common';
import { PgProxy } from '../../../test/chaos/support/pg-proxy';
import { query } from '../../../test/support/database';
import { unique } from '../../../test/support/fixtures';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';

/**
 * The admin routes added in the last rounds (record models, Idempotency-Key on creating
 * POSTs, `GET /me`, record triggers and writable records, stats breakdowns, connector links,
 * secret rotation, `?wait=`) while Postgres is away: the admin reaches Postgres through
 * a TCP proxy the test cuts (the shared server is never touched). Every answer is a 503
 * `unavailable` in the error shape (SPEC: Postgres unavailable → 503), the process keeps serving, nothing half-written is left behind,
 * and once Postgres is back the same Idempotency-Key creates exactly one handler.
 */
describe('admin API: new routes while Postgres is down', () => {
  let proxy: PgProxy;
  let app: INestApplication;
  let url: string;
  const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

  beforeAll(async () => {
    const db = new URL(process.env.DATABASE_URL!);
    proxy = await PgProxy.start({ host: db.hostname, port: Number(db.port || 5432) });
    ({ app, url } = await startAdminApp({
      DATABASE_URL: proxy.rewrite(process.env.DATABASE_URL!),
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      LOG_LEVEL: 'fatal',
      DB_POOL_SIZE: '2',
    }));
  });

  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxy?.close();
  });

  it('answers 503 unavailable, keeps serving, and after recovery one key makes one handler', async () => {
    const code = unique('pgdown-handler');
    const create = () =>
      fetch(`${url}/api/v1/handlers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': code },
        body: JSON.stringify({
          code,
          name: 'pg down',
          direction: 'inbound',
          executionMode: 'rules',
        }),
      });
    // Warm: the key and the routes work before the cut.
    expect((await fetch(`${url}/api/v1/record-models`, { headers: auth })).status).toBe(200);

    proxy.cut();
    const during = [
      await fetch(`${url}/api/v1/record-models`, { headers: auth }),
      await fetch(`${url}/api/v1/me`, { headers: auth }),
      await create(),
    ];
    for (const res of during) {
      expect(res.status).toBe(503);
      const body = (await res.json()) as { statusCode: number; code: string };
      expect(body.statusCode).toBe(503);
      expect(body.code).toBe('unavailable');
    }
    // The queue UI checks its key in Postgres too: the same 503, not a 500 page.
    const board = await fetch(`${url}/api/queues/api/queues`, { headers: auth });
    expect(board.status).toBe(503);
    expect(board.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await board.json()) as { code: string }).code).toBe('unavailable');
    // Still serving: liveness answers while Postgres is away.
    expect((await fetch(`${url}/health`)).status).toBe(200);

    proxy.restore();
    let first: Response | undefined;
    for (let i = 0; i < 50; i++) {
      first = await create();
      if (first.status < 500) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(first!.status).toBe(201);
    const replay = await create();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const rows = await query<{ n: string }>(
      process.env.DATABASE_URL!,
      'SELECT count(*)::text AS n FROM handlers WHERE code = $1',
      [code],
    );
    expect(rows[0].n).toBe('1');
    const keys = await query<{ n: string }>(
      process.env.DATABASE_URL!,
      'SELECT count(*)::text AS n FROM idempotency_keys WHERE key = $1',
      [code],
    );
    expect(keys[0].n).toBe('1');
  });

  it("answers 503 unavailable on this round's record, trigger, stats, link, rotation and wait routes, and writes nothing", async () => {
    const model = unique('pgdown').replace(/[^a-z0-9-]/g, '');
    const code = unique('pgdown-trigger');
    const someId = '01930000-0000-7000-8000-000000000000';
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}/api/v1${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // Warm: the key is known before the cut.
    expect((await call('GET', '/record-triggers')).status).toBe(200);

    proxy.cut();
    const during = [
      await call('GET', '/record-triggers'),
      await call('POST', '/record-triggers', {
        code,
        name: 'pg down',
        model,
        operations: ['created'],
      }),
      await call('POST', `/records/${model}`, { data: { email: 'a@x.io' } }),
      await call('PUT', `/records/${model}/${someId}`, { data: { email: 'b@x.io' } }),
      await call('DELETE', `/records/${model}/${someId}`),
      await call('GET', '/stats?groupBy=eventType,recordModel,errorClass'),
      await call('POST', `/connectors/${someId}/links`, {
        endpointKind: 'outbound',
        endpointId: someId,
      }),
      await call('POST', `/outbound-endpoints/${someId}/rotate-secret`, {}),
      await call('POST', '/deliveries?wait=1', { endpoint: 'nowhere', payload: {} }),
    ];
    for (const res of during) {
      const body = (await res.json()) as { statusCode: number; code: string };
      expect({ url: res.url, status: res.status, code: body.code }).toEqual({
        url: res.url,
        status: 503,
        code: 'unavailable',
      });
    }
    expect((await fetch(`${url}/health`)).status).toBe(200);

    proxy.restore();
    for (let i = 0; i < 50; i++) {
      if ((await call('GET', '/record-triggers')).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const [counts] = await query<{ triggers: string; records: string }>(
      process.env.DATABASE_URL!,
      `SELECT (SELECT count(*) FROM record_triggers WHERE code = $1)::text AS triggers,
              (SELECT count(*) FROM records WHERE model = $2)::text AS records`,
      [code, model],
    );
    expect(counts).toEqual({ triggers: '0', records: '0' });
  });

  it('answers 503 on the updates that merge under a lock and on bulk replay and reprocess, and changes nothing', async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { path, status: res.status, body: (await res.json()) as any };
    };
    const name = unique('pgdown-merge');
    const handler = await call('POST', '/handlers', {
      code: name,
      name,
      direction: 'inbound',
      executionMode: 'rules',
    });
    const inbound = await call('POST', '/inbound-endpoints', { name, path: name, handler: name });
    const outbound = await call('POST', '/outbound-endpoints', {
      code: name,
      name,
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'https://example.invalid',
      targetPath: '/hooks',
    });
    const connector = await call('POST', '/connectors', {
      kind: 'stripe',
      code: name,
      name,
      baseUrl: 'https://example.invalid',
    });
    for (const created of [handler, inbound, outbound, connector]) expect(created.status).toBe(201);
    const ids = [handler, inbound, outbound, connector].map((c) => c.body.id as string);

    proxy.cut();
    const during = [
      await call('PUT', `/handlers/${ids[0]}`, { name: 'renamed', executionMode: 'rules' }),
      await call('PUT', `/inbound-endpoints/${ids[1]}`, { name: 'renamed' }),
      await call('PUT', `/outbound-endpoints/${ids[2]}`, { name: 'renamed' }),
      await call('PUT', `/connectors/${ids[3]}`, { name: 'renamed' }),
      await call('POST', '/deliveries/replay', { endpoint: ids[2] }),
      await call('POST', '/inbound-events/reprocess', { endpoint: ids[1] }),
    ];
    for (const answer of during) {
      expect({ path: answer.path, status: answer.status, code: answer.body.code }).toEqual({
        path: answer.path,
        status: 503,
        code: 'unavailable',
      });
    }
    proxy.restore();
    for (let i = 0; i < 50; i++) {
      if ((await call('GET', `/handlers/${ids[0]}`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const [rows] = await query<{ renamed: string; audited: string }>(
      process.env.DATABASE_URL!,
      `SELECT ((SELECT count(*) FROM handlers WHERE id = $1 AND name = 'renamed')
             + (SELECT count(*) FROM inbound_endpoints WHERE id = $2 AND name = 'renamed')
             + (SELECT count(*) FROM outbound_endpoints WHERE id = $3 AND name = 'renamed')
             + (SELECT count(*) FROM connectors WHERE id = $4 AND name = 'renamed'))::text AS renamed,
              (SELECT count(*) FROM audit_entries
                WHERE (entity_id = ANY($5::text[]) AND action LIKE '%.update')
                   OR (action IN ('delivery.replay', 'inbound-event.reprocess')
                       AND (after::text LIKE '%' || $2 || '%' OR after::text LIKE '%' || $3 || '%'))
              )::text AS audited`,
      [...ids, ids],
    );
    expect(rows).toEqual({ renamed: '0', audited: '0' });
  });
});
