import type { INestApplication } from '@nestjs/common';
import { PgProxy } from '../../../test/chaos/support/pg-proxy';
import { query } from '../../../test/support/database';
import { unique } from '../../../test/support/fixtures';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';

/**
 * The admin routes this round added (record models, Idempotency-Key on creating POSTs,
 * `GET /me` of a publisher key) while Postgres is away: the admin reaches Postgres through
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
});
