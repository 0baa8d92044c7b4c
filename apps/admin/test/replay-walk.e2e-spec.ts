import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';
import { defaultTenantId, query } from '../../../test/support/database';

/**
 * A bulk replay (`POST /deliveries/replay`) or reprocess (`POST /inbound-events/reprocess`)
 * works in batches of 1,000. While it goes on, the workers take the rows it already sent
 * again; with the endpoint (or the callback) still failing, they land back in the state
 * the replay matches. Each request must send every matching row once — not come back to
 * the ones that failed again, which sent them over and over for as long as the workers
 * kept up, hammering a receiver that was already down.
 *
 * The workers are played by a loop that fails, as fast as Postgres lets it, every row the
 * replay made runnable: the harshest timing a real dispatcher could produce.
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;
const ROWS = 2_500;

describe('admin API: a bulk replay sends each matching row once', () => {
  let app: INestApplication;
  let url: string;
  let tenantId: string;

  beforeAll(async () => {
    ({ app, url } = await startAdminApp({
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    }));
    tenantId = await defaultTenantId();
  });

  afterAll(async () => {
    await app?.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /**
   * Runs `work` while a loop fails again, as soon as they are runnable, the rows `fail`
   * picks (`fail` is one UPDATE; the loop stops when `work` settles, or after 15 s).
   */
  async function whileFailing<T>(fail: string, params: unknown[], work: () => Promise<T>) {
    const client = new Client({ connectionString: db() });
    await client.connect();
    let stop = false;
    let failed = 0;
    const deadline = Date.now() + 15_000;
    const loop = (async () => {
      while (!stop && Date.now() < deadline) failed += (await client.query(fail, params)).rowCount!;
    })();
    try {
      return { result: await work(), failed };
    } finally {
      stop = true;
      await loop;
      await client.end();
    }
  }

  it('POST /deliveries/replay: every dead-lettered delivery once, none again after failing again', async () => {
    const code = unique('replay-walk');
    const endpoint = await call('POST', '/outbound-endpoints', {
      code,
      name: code,
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'http://127.0.0.1:9',
      targetPath: '/down',
    });
    expect(endpoint.status).toBe(201);
    const endpointId: string = endpoint.body.id;
    await query(
      db(),
      `INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, state, payload, attempts, completed_at)
       SELECT $1, $2, $3, 'dead_letter', jsonb_build_object('n', n), 5, now()
         FROM generate_series(1, ${ROWS}) AS n`,
      [tenantId, endpointId, code],
    );

    const { result: replay, failed } = await whileFailing(
      `UPDATE deliveries SET state = 'dead_letter', attempts = attempts + 1, completed_at = now()
        WHERE endpoint_id = $1 AND state = 'queued'`,
      [endpointId],
      () => call('POST', '/deliveries/replay', { endpoint: endpointId }),
    );
    expect(replay).toEqual({ status: 200, body: { replayed: ROWS } });
    const attempts = await query<{ attempts: number; n: number }>(
      db(),
      `SELECT attempts, count(*)::int AS n FROM deliveries WHERE endpoint_id = $1
        GROUP BY attempts ORDER BY attempts`,
      [endpointId],
    );
    // Replayed once, each failed at most once more (some only after the loop stopped).
    expect(attempts.every((row) => row.attempts === 5 || row.attempts === 6)).toBe(true);
    expect(failed).toBeGreaterThan(0);
  });

  it('POST /inbound-events/reprocess: every errored event once, none again after failing again', async () => {
    const path = unique('reprocess-walk');
    const handler = await call('POST', '/handlers', {
      code: path,
      name: path,
      direction: 'inbound',
      executionMode: 'rules',
    });
    expect(handler.status).toBe(201);
    const endpoint = await call('POST', '/inbound-endpoints', { name: path, path, handler: path });
    expect(endpoint.status).toBe(201);
    const endpointId: string = endpoint.body.id;
    await query(
      db(),
      `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body, attempts)
       SELECT $1, $2, $3, 'error', 'POST', '/webhooks/' || $3, convert_to('{}', 'UTF8'), 1
         FROM generate_series(1, ${ROWS})`,
      [tenantId, endpointId, path],
    );

    const { result: reprocess, failed } = await whileFailing(
      `UPDATE inbound_events SET state = 'error', attempts = attempts + 1
        WHERE endpoint_id = $1 AND state = 'received'`,
      [endpointId],
      () => call('POST', '/inbound-events/reprocess', { endpoint: endpointId }),
    );
    expect(reprocess).toEqual({ status: 200, body: { reprocessed: ROWS } });
    const attempts = await query<{ attempts: number }>(
      db(),
      `SELECT DISTINCT attempts FROM inbound_events WHERE endpoint_id = $1`,
      [endpointId],
    );
    expect(attempts.every((row) => row.attempts === 1 || row.attempts === 2)).toBe(true);
    expect(failed).toBeGreaterThan(0);
  });
});
