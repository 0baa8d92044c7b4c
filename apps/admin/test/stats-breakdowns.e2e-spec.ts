import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { post, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';
import { hashApiKey } from '../src/auth/api-key.guard';
import { StatsRollupJob } from '../src/stats/stats-rollup.job';

/**
 * `GET /stats?groupBy=eventType,recordModel,errorClass` against the real apps, Postgres,
 * Redis and loopback sinks: fan-out deliveries published through the admin API (one
 * subscriber answering 200, one 500 with a single attempt), a forged webhook rejected by
 * the gateway, and seeded records and failures; exact counts per group, another tenant's
 * identical data never counted, the default answer without `breakdowns`.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;

async function tenantWithKey(role: 'admin' | 'operator'): Promise<{ id: string; key: string }> {
  const key = `k-${randomBytes(16).toString('hex')}`;
  const [{ id }] = await query<{ id: string }>(
    db(),
    `INSERT INTO tenants (name) VALUES ($1) RETURNING id`,
    [unique('breakdowns')],
  );
  await query(
    db(),
    `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix) VALUES ($1, 'k', $2, $3, 'k')`,
    [id, role, hashApiKey(key)],
  );
  return { id, key };
}

describe('GET /stats breakdowns', () => {
  let harness: Harness;
  let ok: Sink;
  let failing: Sink;
  let tenant: { id: string; key: string };
  let other: { id: string; key: string };
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const stats = (groupBy?: string, key = tenant.key) =>
    harness.admin(
      `/stats?from=${from}&to=${to}${groupBy === undefined ? '' : `&groupBy=${groupBy}`}`,
      { key },
    );

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    ok = await startSink();
    failing = await startSink();
    failing.fallback = { status: 500, body: 'down' };
    // Nothing rolled up yet (as after a fresh install): the rows seeded in past hours
    // below are then rolled up by the test, never skipped by an earlier pass.
    await query(
      db(),
      `UPDATE stats_rollup_watermarks SET rolled_up_to = '-infinity';
       DELETE FROM stats_hourly; DELETE FROM stats_hourly_breakdowns`,
    );
    tenant = await tenantWithKey('admin');
    other = await tenantWithKey('admin');

    for (const [sink, code] of [
      [ok, 'ok'],
      [failing, 'failing'],
    ] as const) {
      const res = await harness.admin('/outbound-endpoints', {
        key: tenant.key,
        body: {
          code,
          name: code,
          state: 'active',
          method: 'POST',
          bodyMode: 'json',
          targetHost: sink.url,
          targetPath: '/hooks',
          eventTypes: ['order.*'],
          retryPolicy: { maxAttempts: 1 },
        },
      });
      expect(res.status).toBe(201);
    }
    for (const eventType of ['order.paid', 'order.paid', 'order.shipped']) {
      const res = await harness.admin('/events', {
        key: tenant.key,
        body: { eventType, payload: { n: 1 } },
      });
      expect(res.status).toBe(202);
    }
    await waitFor(
      async () => {
        const [row] = await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM deliveries
            WHERE tenant_id = $1 AND state IN ('done', 'dead_letter')`,
          [tenant.id],
        );
        return row.n === 6 ? row : undefined;
      },
      { what: 'six finished deliveries' },
    );

    // A webhook with a forged signature: the gateway rejects and stores it.
    const handler = await harness.admin('/handlers', {
      key: tenant.key,
      body: { code: 'h', name: 'h', direction: 'inbound', executionMode: 'rules' },
    });
    expect(handler.status).toBe(201);
    const path = unique('breakdown-in');
    const endpoint = await harness.admin('/inbound-endpoints', {
      key: tenant.key,
      body: {
        name: path,
        path,
        handler: 'h',
        signature: {
          mode: 'hmac',
          digest: 'sha256',
          encoding: 'hex',
          header: 'X-Sig',
          secret: 'breakdown-secret-0123456789',
        },
      },
    });
    expect(endpoint.status).toBe(201);
    const forged = await post(harness, `/webhooks/${path}`, '{"a":1}', { 'x-sig': 'deadbeef' });
    expect(forged.status).toBe(401);
    // The gateway stored the forged request (before answering) with its error's code.
    expect(
      await query(
        db(),
        `SELECT reject_code FROM inbound_events WHERE endpoint_path = $1 AND state = 'rejected'`,
        [path],
      ),
    ).toEqual([{ reject_code: 'signature_invalid' }]);
    // Seeded rejections: the class is the stored code, whatever the reason's words say
    // (one with no signature words, one whose reason names a timestamp); a row stored
    // before codes were (NULL) is still classed from its reason. Then a failed and a
    // dead-lettered event.
    for (const [state, reason, code] of [
      ['rejected', 'the request could not be proven genuine', 'signature_invalid'],
      ['rejected', 'timestamp field of the body is not a number', 'payload_invalid'],
      ['rejected', 'The signing secret is empty: set a secret', 'configuration_invalid'],
      ['rejected', 'stale timestamp: the request is 900 s old, the limit is 300 s', null],
      ['error', null, null],
      ['dead_letter', null, null],
      ['dead_letter', null, null],
    ]) {
      await query(
        db(),
        `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body, reject_reason, reject_code)
         VALUES ($1, $2, 'p', $3, 'POST', 'http://x', '\\x'::bytea, $4, $5)`,
        [tenant.id, endpoint.body.id, state, reason, code],
      );
    }
    // Records: two customers and an invoice created now; one created long ago and changed
    // now (counted nowhere: only creations count).
    await query(
      db(),
      `INSERT INTO records (tenant_id, model, created_at, updated_at) VALUES
         ($1, 'customer', now(), now()), ($1, 'customer', now(), now()),
         ($1, 'invoice', now(), now()),
         ($1, 'customer', now() - interval '40 days', now())`,
      [tenant.id],
    );
    // Three hours ago (whole hours the rollup will cover): fan-out deliveries done then,
    // and invoices created then.
    await query(
      db(),
      `INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, event_type, state, created_at, completed_at)
       SELECT $1, NULL, 'gone', 'order.paid', 'done', now() - interval '3 hours', now() - interval '3 hours'
         FROM generate_series(1, 4)`,
      [tenant.id],
    );
    await query(
      db(),
      `INSERT INTO records (tenant_id, model, created_at, updated_at)
       SELECT $1, 'invoice', now() - interval '3 hours', now() - interval '3 hours' FROM generate_series(1, 3)`,
      [tenant.id],
    );
    // The other tenant: the same names, more of them; none may show.
    const [{ id: otherEndpoint }] = await query<{ id: string }>(
      db(),
      `INSERT INTO outbound_endpoints (tenant_id, code, name) VALUES ($1, 'ok', 'ok') RETURNING id`,
      [other.id],
    );
    await query(
      db(),
      `WITH d AS (
         INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, event_type, state)
         SELECT $1, $2, 'ok', 'order.paid', 'error' FROM generate_series(1, 7) RETURNING id)
       INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, outcome, error_class)
       SELECT id, $1, $2, 1, 'error', 'timeout' FROM d`,
      [other.id, otherEndpoint],
    );
    await query(
      db(),
      `INSERT INTO records (tenant_id, model) SELECT $1, 'customer' FROM generate_series(1, 5)`,
      [other.id],
    );
  });

  afterAll(async () => {
    await ok?.close();
    await failing?.close();
    await harness?.close();
  });

  it('keeps the original answer when no breakdown is asked for', async () => {
    const res = await stats();
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('breakdowns');
    expect(res.body.outbound.total).toBe(10);
  });

  it('counts deliveries by event type and state', async () => {
    const res = await stats('eventType');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.breakdowns)).toEqual(['eventType']);
    expect(res.body.breakdowns.eventType).toEqual([
      {
        eventType: 'order.paid',
        total: 8,
        byState: { done: 6, dead_letter: 2 },
        successRate: 0.75,
      },
      {
        eventType: 'order.shipped',
        total: 2,
        byState: { done: 1, dead_letter: 1 },
        successRate: 0.5,
      },
    ]);
  });

  it('counts records created, by model', async () => {
    const res = await stats('recordModel');
    expect(res.body.breakdowns.recordModel).toEqual([
      { model: 'invoice', created: 4 },
      { model: 'customer', created: 2 },
    ]);
  });

  it('answers the same from the hourly rollup once it covers the past hours', async () => {
    const before = await stats('eventType,recordModel,errorClass');
    const written = await harness.adminApp.get(StatsRollupJob).rollUp();
    expect(written.inbound + written.outbound).toBeGreaterThan(0);
    const rolled = await query<{ dimension: string; value: string; count: string }>(
      db(),
      `SELECT dimension, value, sum(count)::text AS count FROM stats_hourly_breakdowns
        WHERE tenant_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [tenant.id],
    );
    // Every closed hour: the customer created 40 days ago too (outside the window asked).
    expect(rolled).toEqual([
      { dimension: 'eventType', value: 'order.paid', count: '4' },
      { dimension: 'recordModel', value: 'customer', count: '1' },
      { dimension: 'recordModel', value: 'invoice', count: '3' },
    ]);
    const after = await stats('eventType,recordModel,errorClass');
    expect(after.body.breakdowns).toEqual(before.body.breakdowns);
    // A second pass adds nothing: each closed hour is counted once.
    await harness.adminApp.get(StatsRollupJob).rollUp();
    expect((await stats('eventType,recordModel,errorClass')).body.breakdowns).toEqual(
      before.body.breakdowns,
    );
  });

  it('ranks the error classes that fail most, both directions', async () => {
    const res = await stats('errorClass,eventType,errorClass');
    expect(Object.keys(res.body.breakdowns).sort()).toEqual(['errorClass', 'eventType']);
    expect(res.body.breakdowns.errorClass).toEqual([
      { direction: 'outbound', errorClass: 'http_5xx', count: 3 },
      { direction: 'inbound', errorClass: 'dead_letter', count: 2 },
      // The forged webhook and the seeded row whose reason has no signature words.
      { direction: 'inbound', errorClass: 'signature_invalid', count: 2 },
      // Its reason names the secret: only its code keeps it out of signature_invalid.
      { direction: 'inbound', errorClass: 'configuration_invalid', count: 1 },
      { direction: 'inbound', errorClass: 'handler_error', count: 1 },
      // Its reason names a timestamp: the code wins over the reason's words.
      { direction: 'inbound', errorClass: 'payload_invalid', count: 1 },
      // Stored with no code (before the column): classed from its reason.
      { direction: 'inbound', errorClass: 'timestamp_invalid', count: 1 },
    ]);
    expect(failing.requests).toHaveLength(3);
  });

  it('shows the other tenant only its own data', async () => {
    const res = await stats('eventType,recordModel,errorClass', other.key);
    expect(res.body.breakdowns).toEqual({
      eventType: [{ eventType: 'order.paid', total: 7, byState: { error: 7 }, successRate: 0 }],
      recordModel: [{ model: 'customer', created: 5 }],
      errorClass: [{ direction: 'outbound', errorClass: 'timeout', count: 7 }],
    });
  });

  it('refuses an unknown dimension', async () => {
    const res = await stats('eventType,colour');
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'groupBy' })]);
  });
});
