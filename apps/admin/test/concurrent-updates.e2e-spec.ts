import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import { unique, whsec } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * A partial update (PUT) that runs while another change to the same row is committing
 * must merge onto that change, not write back the copy it read before: a rotated secret
 * would silently revert (and the new secret, shown once, would never verify), and a
 * technical prefix could change under an endpoint being linked with the old one.
 *
 * The order is forced, not hoped for: the test holds the row's lock in a transaction of
 * its own, sends the first change and waits until it is queued on the lock, then the
 * PUT (whose read, before this fix, was not), then releases the lock. Postgres hands the
 * row to the first waiter, then the second.
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;

interface Answer {
  status: number;
  body: any;
}

describe('admin API: concurrent changes to one row', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startAdminApp({
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    }));
  });

  afterAll(async () => {
    await app?.close();
  });

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
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

  /** The backends waiting, directly or behind another waiter, on `blocker`'s locks. */
  async function waitersBehind(blocker: number): Promise<number> {
    const rows = await query<{ pid: number; blockers: number[] }>(
      db(),
      `SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    const behind = new Set<number>([blocker]);
    for (let grew = true; grew;) {
      grew = false;
      for (const row of rows) {
        if (!behind.has(row.pid) && row.blockers.some((pid) => behind.has(pid))) {
          behind.add(row.pid);
          grew = true;
        }
      }
    }
    return behind.size - 1;
  }

  /**
   * Runs `first` then `second` against the row `id` of `table`, each queued behind a lock
   * the test holds until both are sent: `first` is queued on it before `second` is sent.
   * `second` is only waited for until it is queued or has answered (a request that takes
   * no lock answers at once).
   */
  async function inOrderBehindALock(
    table: string,
    id: string,
    first: () => Promise<Answer>,
    second: () => Promise<Answer>,
  ): Promise<[Answer, Answer]> {
    const blocker = new Client({ connectionString: db() });
    await blocker.connect();
    let a: Promise<Answer> | undefined;
    let b: Promise<Answer> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
      const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
        .pid;
      a = first();
      await waitFor(async () => (await waitersBehind(pid)) === 1 || undefined, {
        what: 'the first change waits on the lock',
      });
      let answered = false;
      b = second().finally(() => (answered = true));
      await waitFor(async () => answered || (await waitersBehind(pid)) === 2 || undefined, {
        what: 'the second change waits on the lock or has answered',
      });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    return [await a!, await b!];
  }

  const secretsOf = async (table: string, id: string) =>
    (
      await query<{ secrets: Record<string, string> }>(
        db(),
        `SELECT secrets FROM ${table} WHERE id = $1`,
        [id],
      )
    )[0].secrets;

  it('an outbound endpoint renamed while its signing secret rotates keeps the rotated secrets', async () => {
    const code = unique('race-rotate');
    const created = await call('POST', '/outbound-endpoints', {
      code,
      name: code,
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'http://127.0.0.1:9',
      targetPath: '/hooks',
      signing: { type: 'standard-webhooks', secret: whsec(unique('old')) },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const before = await secretsOf('outbound_endpoints', id);

    const [rotated, renamed] = await inOrderBehindALock(
      'outbound_endpoints',
      id,
      () => call('POST', `/outbound-endpoints/${id}/rotate-secret`, { overlapSeconds: 3600 }),
      () => call('PUT', `/outbound-endpoints/${id}`, { name: 'renamed during rotation' }),
    );
    expect([rotated.status, renamed.status]).toEqual([200, 200]);
    expect(renamed.body.name).toBe('renamed during rotation');
    const after = await secretsOf('outbound_endpoints', id);
    expect(Object.keys(after).sort()).toEqual(['previousSigningSecret', 'signingSecret']);
    expect(after.previousSigningSecret).toBe(before.signingSecret);
    const view = await call('GET', `/outbound-endpoints/${id}`);
    expect(view.body.signing.previousSecretExpiresAt).toEqual(expect.any(String));
  });

  it('an inbound endpoint renamed while a secondary secret is added keeps both secrets', async () => {
    const path = unique('race-secondary');
    const signature = { mode: 'hmac', preset: 'github', secret: 'first-secret-0123' };
    const handler = await call('POST', '/handlers', {
      code: path,
      name: path,
      direction: 'inbound',
      executionMode: 'rules',
    });
    expect(handler.status).toBe(201);
    const created = await call('POST', '/inbound-endpoints', {
      name: path,
      path,
      handler: path,
      signature,
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const [rotated, renamed] = await inOrderBehindALock(
      'inbound_endpoints',
      id,
      () =>
        call('PUT', `/inbound-endpoints/${id}`, {
          signature: { ...signature, secondarySecret: 'second-secret-4567' },
        }),
      () => call('PUT', `/inbound-endpoints/${id}`, { name: 'renamed during rotation' }),
    );
    expect([rotated.status, renamed.status]).toEqual([200, 200]);
    const view = await call('GET', `/inbound-endpoints/${id}`);
    expect(view.body.name).toBe('renamed during rotation');
    expect(view.body.signature).toMatchObject({ secretSet: true, secondarySecretSet: true });
  });

  it('a handler renamed while it is archived stays archived', async () => {
    const code = unique('race-archive');
    const created = await call('POST', '/handlers', {
      code,
      name: code,
      direction: 'inbound',
      executionMode: 'rules',
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const [archived, renamed] = await inOrderBehindALock(
      'handlers',
      id,
      () => call('DELETE', `/handlers/${id}`),
      () =>
        call('PUT', `/handlers/${id}`, { name: 'renamed during archive', executionMode: 'rules' }),
    );
    expect([archived.status, renamed.status]).toEqual([200, 200]);
    const view = await call('GET', `/handlers/${id}`);
    expect(view.body).toMatchObject({ name: 'renamed during archive', active: false });
  });

  it("a connector's technical prefix cannot change under an endpoint being linked with the old one", async () => {
    const connector = await call('POST', '/connectors', {
      kind: 'stripe',
      code: unique('race-link'),
      name: 'Stripe, raced',
      baseUrl: 'http://127.0.0.1:9',
    });
    expect(connector.status).toBe(201);
    const { id, technicalPrefix } = connector.body as { id: string; technicalPrefix: string };
    const endpoint = await call('POST', '/outbound-endpoints', {
      code: unique('race-hand'),
      name: 'by hand',
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'http://127.0.0.1:9',
      targetPath: '/hand',
    });
    expect(endpoint.status).toBe(201);
    const newPrefix = unique('np')
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 20);

    const [linked, changed] = await inOrderBehindALock(
      'connectors',
      id,
      () =>
        call('POST', `/connectors/${id}/links`, {
          endpointKind: 'outbound',
          endpointId: endpoint.body.id,
          codeSuffix: 'invoices',
        }),
      () => call('PUT', `/connectors/${id}`, { technicalPrefix: newPrefix }),
    );
    expect(linked.status).toBe(200);
    expect(changed.status).toBe(409);
    const after = await call('GET', `/connectors/${id}`);
    expect(after.body.technicalPrefix).toBe(technicalPrefix);
    const linkedEndpoint = await call('GET', `/outbound-endpoints/${endpoint.body.id}`);
    expect(linkedEndpoint.body.code).toBe(`${technicalPrefix}-invoices`);
  });
});
