import type { INestApplication } from '@nestjs/common';
import { IdempotencyPurgeJob } from '../src/idempotency/idempotency-purge.job';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';

/**
 * `Idempotency-Key` on creating POSTs against the real admin app and Postgres: a repeat
 * answers the first answer and creates nothing, even when the repeats arrive at once; a
 * key reused for another request is refused with a code; keys are per tenant; a failed
 * first request frees its key; old keys are purged; stored answers hold no secret in clear.
 */
const db = () => process.env.DATABASE_URL!;

interface Answer {
  status: number;
  body: any;
  replayed: string | null;
}

describe('admin API: Idempotency-Key on creating POSTs', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url: url } = await startAdminApp({ ADMIN_API_KEY: TEST_ADMIN_KEY }));
  });

  afterAll(async () => {
    await app?.close();
  });

  async function post(
    path: string,
    body: unknown,
    options: { key?: string; idempotencyKey?: string; raw?: string } = {},
  ): Promise<Answer> {
    const res = await fetch(`${url}/api/v1${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.key ?? TEST_ADMIN_KEY}`,
        'content-type': 'application/json',
        ...(options.idempotencyKey === undefined
          ? {}
          : { 'idempotency-key': options.idempotencyKey }),
      },
      body: options.raw ?? JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : null,
      replayed: res.headers.get('idempotent-replayed'),
    };
  }

  async function createEndpoint(): Promise<string> {
    const code = unique('idem');
    const res = await post('/outbound-endpoints', {
      code,
      name: code,
      state: 'draft',
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'http://127.0.0.1:1',
      targetPath: '/hooks',
    });
    expect(res.status).toBe(201);
    return code;
  }

  async function count(sql: string, params: unknown[]): Promise<number> {
    const [{ n }] = await query<{ n: number }>(db(), sql, params);
    return Number(n);
  }

  const deliveriesTo = (code: string) =>
    count(
      `SELECT count(*) AS n FROM deliveries d JOIN outbound_endpoints e ON e.id = d.endpoint_id
        WHERE e.code = $1`,
      [code],
    );

  it('creates one delivery for concurrent duplicates and answers each the same', async () => {
    const endpoint = await createEndpoint();
    const key = unique('deliver');
    const body = { endpoint, payload: { order: key } };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/deliveries', body, { idempotencyKey: key })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(7);
    expect(await deliveriesTo(endpoint)).toBe(1);

    // Without a key the same body is a new delivery each time (the key is what dedupes).
    expect((await post('/deliveries', body)).status).toBe(202);
    expect(await deliveriesTo(endpoint)).toBe(2);
  });

  it('creates one API key for concurrent duplicates and keeps its secret encrypted', async () => {
    const name = unique('idem key');
    const key = unique('api-key');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        post('/api-keys', { name, role: 'operator' }, { idempotencyKey: key }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    const secrets = new Set(answers.map((a) => a.body.key as string));
    expect(secrets.size).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM api_keys WHERE name = $1`, [name])).toBe(1);
    // The replayed secret is the real key.
    const me = await fetch(`${url}/api/v1/me`, {
      headers: { authorization: `Bearer ${[...secrets][0]}` },
    });
    expect(me.status).toBe(200);
    const [row] = await query<{ body: string }>(
      db(),
      `SELECT body FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(row.body).not.toContain([...secrets][0]);
    expect(row.body).toMatch(/^v1:/);
    // The handler still runs as the caller: its audit entry names the calling key.
    const audit = await query<{ actor: string; api_key_id: string | null }>(
      db(),
      `SELECT actor, api_key_id FROM audit_entries WHERE entity_id = $1`,
      [answers[0].body.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].api_key_id).not.toBeNull();
  });

  it('replays a later repeat and refuses the key for another body or path with a code', async () => {
    const endpoint = await createEndpoint();
    const key = unique('replay');
    const body = { endpoint, payload: { n: 1 } };
    const first = await post('/deliveries', body, { idempotencyKey: key });
    expect(first.status).toBe(202);
    expect(first.replayed).toBeNull();

    // Same request, keys in another order: the same answer, nothing new.
    const again = await post(
      '/deliveries',
      { payload: { n: 1 }, endpoint },
      { idempotencyKey: key },
    );
    expect(again).toEqual({ status: 202, body: first.body, replayed: 'true' });

    const otherBody = await post(
      '/deliveries',
      { endpoint, payload: { n: 2 } },
      {
        idempotencyKey: key,
      },
    );
    expect(otherBody.status).toBe(422);
    expect(otherBody.body).toMatchObject({ statusCode: 422, code: 'idempotency_key_reused' });

    const otherPath = await post(
      '/events',
      { eventType: 'x.y', payload: { n: 1 } },
      {
        idempotencyKey: key,
      },
    );
    expect(otherPath.status).toBe(422);
    expect(otherPath.body.code).toBe('idempotency_key_reused');
    expect(await deliveriesTo(endpoint)).toBe(1);
  });

  it('scopes keys to the tenant: another tenant’s same key creates its own', async () => {
    const tenant = await post('/tenants', { name: unique('idem').toLowerCase() });
    expect(tenant.status).toBe(201);
    const otherAdmin: string = tenant.body.adminKey.key;
    const key = unique('shared');
    const name = unique('scoped key');
    const mine = await post('/api-keys', { name, role: 'operator' }, { idempotencyKey: key });
    const theirs = await post(
      '/api-keys',
      { name, role: 'operator' },
      {
        idempotencyKey: key,
        key: otherAdmin,
      },
    );
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.replayed).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await count(`SELECT count(*) AS n FROM api_keys WHERE name = $1`, [name])).toBe(2);
    expect(await count(`SELECT count(*) AS n FROM idempotency_keys WHERE key = $1`, [key])).toBe(2);
  });

  it('frees the key of a failed first request, and refuses a malformed key', async () => {
    const key = unique('failed');
    const name = unique('after failure');
    const bad = await post('/api-keys', { name, role: 'nobody' }, { idempotencyKey: key });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    const good = await post('/api-keys', { name, role: 'operator' }, { idempotencyKey: key });
    expect(good.status).toBe(201);
    expect(good.replayed).toBeNull();

    for (const malformed of ['x'.repeat(256), 'has space']) {
      const res = await post(
        '/api-keys',
        { name: unique('k'), role: 'operator' },
        {
          idempotencyKey: malformed,
        },
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed' });
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    }
  });

  it('forgets keys past the window: the purge deletes them and the key creates anew', async () => {
    const name = unique('expired');
    const key = unique('old');
    const first = await post('/api-keys', { name, role: 'operator' }, { idempotencyKey: key });
    expect(first.status).toBe(201);
    await query(
      db(),
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
      [key],
    );
    // Expired but not yet purged: a new request under the key runs again.
    const second = await post('/api-keys', { name, role: 'operator' }, { idempotencyKey: key });
    expect(second.status).toBe(201);
    expect(second.replayed).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);

    await query(
      db(),
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
      [key],
    );
    const fresh = unique('fresh');
    await post('/api-keys', { name: unique('k'), role: 'operator' }, { idempotencyKey: fresh });
    expect(await app.get(IdempotencyPurgeJob).purge()).toBeGreaterThanOrEqual(1);
    expect(await count(`SELECT count(*) AS n FROM idempotency_keys WHERE key = $1`, [key])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM idempotency_keys WHERE key = $1`, [fresh])).toBe(
      1,
    );
  });
});
