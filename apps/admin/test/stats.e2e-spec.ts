import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { hashApiKey } from '../src/auth/api-key.guard';
import { StatsRollupJob } from '../src/stats/stats-rollup.job';

/**
 * `GET /stats` on small known data in a tenant of its own: exact counts by state, success
 * rates, per-endpoint figures, daily traffic and attempt latency percentiles; the window
 * bounds; tenant isolation. (Speed at a million rows is measured by `npm run bench -- --scale`.)
 */
const db = () => process.env.DATABASE_URL!;

/** Postgres percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}
const round1 = (n: number) => Math.round(n * 10) / 10;

describe('GET /stats', () => {
  let harness: Harness;
  let operatorKey: string;
  let ids: Record<string, string>;
  const at = (day: number, hour = 12) => `2026-03-0${day}T${String(hour).padStart(2, '0')}:00:00Z`;

  beforeAll(async () => {
    harness = await startHarness();
    operatorKey = `op-${randomBytes(16).toString('hex')}`;
    const [{ id: tenantId }] = await query<{ id: string }>(
      db(),
      `INSERT INTO tenants (name) VALUES ($1) RETURNING id`,
      [unique('stats-tenant')],
    );
    await query(
      db(),
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix) VALUES ($1, 'op', 'operator', $2, 'op')`,
      [tenantId, hashApiKey(operatorKey)],
    );
    const [{ id: handlerId }] = await query<{ id: string }>(
      db(),
      `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode)
       VALUES ($1, 'h', 'h', 'inbound', 'rules') RETURNING id`,
      [tenantId],
    );
    const inbound = async (path: string) =>
      (
        await query<{ id: string }>(
          db(),
          `INSERT INTO inbound_endpoints (tenant_id, name, path, handler_id) VALUES ($1, $2, $2, $3) RETURNING id`,
          [tenantId, path, handlerId],
        )
      )[0].id;
    const outbound = async (code: string) =>
      (
        await query<{ id: string }>(
          db(),
          `INSERT INTO outbound_endpoints (tenant_id, code, name) VALUES ($1, $2, $2) RETURNING id`,
          [tenantId, code],
        )
      )[0].id;
    ids = {
      tenant: tenantId,
      a: await inbound(unique('stats-a')),
      b: await inbound(unique('stats-b')),
      x: await outbound('x'),
      y: await outbound('y'),
    };
    const events: Array<[string, string, string, number]> = [
      [ids.a, 'done', at(1), 3],
      [ids.a, 'error', at(1), 1],
      [ids.a, 'rejected', at(2), 2],
      [ids.a, 'dead_letter', at(2), 1],
      [ids.a, 'received', at(3), 1],
      [ids.b, 'done', at(2), 2],
      // Outside the window [03-01, 03-04): before it.
      [ids.a, 'done', '2026-02-28T23:59:59Z', 5],
    ];
    for (const [endpoint, state, time, count] of events) {
      await query(
        db(),
        `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body, received_at)
         SELECT $1, $2, 'p', $3, 'POST', 'http://x', '\\x'::bytea, $4 FROM generate_series(1, $5)`,
        [tenantId, endpoint, state, time, count],
      );
    }
    const deliveries: Array<[string | null, string, string, number]> = [
      [ids.x, 'done', at(1), 4],
      [ids.x, 'dead_letter', at(3), 1],
      [ids.x, 'queued', at(3), 1],
      [ids.y, 'error', at(2), 1],
      [ids.y, 'done', at(2), 1],
      [null, 'dead_letter', at(3), 1],
      // Outside: the window's end is exclusive.
      [ids.x, 'done', '2026-03-04T00:00:00Z', 3],
    ];
    for (const [endpoint, state, time, count] of deliveries) {
      await query(
        db(),
        `INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, state, created_at, completed_at)
         SELECT $1, $2, 'c', $3, $4, CASE WHEN $3 = 'done' THEN $4::timestamptz END
           FROM generate_series(1, $5)`,
        [tenantId, endpoint, state, time, count],
      );
    }
    // Attempts: x's four done deliveries 25 attempts each, durations 1..100; y's done one
    // two attempts (10, 20 ms); an interrupted one (excluded) and one outside the window.
    await query(
      db(),
      `INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, duration_ms, outcome)
       SELECT d.id, d.tenant_id, d.endpoint_id, n, $2::timestamptz + n * interval '1 second',
              (d.rn - 1) * 25 + n, 'success'
         FROM (SELECT id, tenant_id, endpoint_id, row_number() OVER (ORDER BY id) AS rn
                 FROM deliveries WHERE endpoint_id = $1 AND state = 'done' AND created_at < '2026-03-02') d,
              generate_series(1, 25) n`,
      [ids.x, at(1)],
    );
    await query(
      db(),
      `INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, duration_ms, outcome)
       SELECT id, tenant_id, endpoint_id, n, $2, n * 10, CASE n WHEN 1 THEN 'retry' ELSE 'success' END
         FROM deliveries, generate_series(1, 2) n WHERE endpoint_id = $1 AND state = 'done'`,
      [ids.y, at(2)],
    );
    await query(
      db(),
      `INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, duration_ms, outcome)
       SELECT id, tenant_id, endpoint_id, 3, $2::timestamptz, 100000, 'interrupted'
         FROM deliveries WHERE endpoint_id = $1 AND state = 'error'
       UNION ALL
       SELECT id, tenant_id, endpoint_id, 1, '2026-03-05T00:00:00Z'::timestamptz, 99999, 'success'
         FROM deliveries WHERE endpoint_id = $3 AND state = 'dead_letter'`,
      [ids.y, at(2), ids.x],
    );
  });

  afterAll(async () => {
    await harness?.close();
  });

  const stats = (search: string, key = operatorKey) => harness.admin(`/stats${search}`, { key });

  it('answers before the first rollup pass, counting everything live', async () => {
    await query(
      db(),
      `UPDATE stats_rollup_watermarks SET rolled_up_to = '-infinity';
       DELETE FROM stats_hourly; DELETE FROM stats_hourly_breakdowns`,
    );
    const res = await stats(`?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z`);
    expect(res.status).toBe(200);
    expect(res.body.inbound.byState).toEqual({
      done: 5,
      error: 1,
      rejected: 2,
      dead_letter: 1,
      received: 1,
    });
    expect(res.body.outbound.byState).toEqual({ done: 5, dead_letter: 2, error: 1, queued: 1 });
  });

  it('counts by state per direction, success rates, per endpoint, daily, latency percentiles', async () => {
    // Twice: an hour is rolled up once, never counted again.
    await harness.adminApp.get(StatsRollupJob).rollUp();
    await harness.adminApp.get(StatsRollupJob).rollUp();
    const res = await stats(`?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z`);
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.from).toBe('2026-03-01T00:00:00.000Z');
    expect(body.to).toBe('2026-03-04T00:00:00.000Z');

    expect(body.inbound.total).toBe(10);
    expect(body.inbound.byState).toEqual({
      done: 5,
      error: 1,
      rejected: 2,
      dead_letter: 1,
      received: 1,
    });
    expect(body.inbound.successRate).toBe(0.7143);
    const inboundBy = Object.fromEntries(
      body.inbound.endpoints.map((e: { endpointId: string }) => [e.endpointId, e]),
    );
    expect(inboundBy[ids.a]).toMatchObject({
      total: 8,
      byState: { done: 3, error: 1, rejected: 2, dead_letter: 1, received: 1 },
      successRate: 0.6,
    });
    expect(inboundBy[ids.a].name).toMatch(/^stats-a/);
    expect(inboundBy[ids.b]).toMatchObject({ total: 2, byState: { done: 2 }, successRate: 1 });

    expect(body.outbound.total).toBe(9);
    expect(body.outbound.byState).toEqual({ done: 5, dead_letter: 2, error: 1, queued: 1 });
    expect(body.outbound.successRate).toBe(0.625);
    const outboundBy = Object.fromEntries(
      body.outbound.endpoints.map((e: { endpointId: string | null }) => [String(e.endpointId), e]),
    );
    expect(outboundBy[ids.x]).toMatchObject({
      name: 'x',
      total: 6,
      byState: { done: 4, dead_letter: 1, queued: 1 },
      successRate: 0.8,
    });
    expect(outboundBy[ids.y]).toMatchObject({
      name: 'y',
      total: 2,
      byState: { done: 1, error: 1 },
      successRate: 0.5,
    });
    expect(outboundBy.null).toMatchObject({
      name: null,
      total: 1,
      byState: { dead_letter: 1 },
      successRate: 0,
    });

    expect(body.daily).toEqual([
      { day: '2026-03-01', inbound: 4, outbound: 4 },
      { day: '2026-03-02', inbound: 5, outbound: 2 },
      { day: '2026-03-03', inbound: 1, outbound: 3 },
    ]);

    const xDurations = Array.from({ length: 100 }, (_, i) => i + 1);
    const all = [...xDurations, 10, 20];
    expect(body.attemptLatencyMs).toMatchObject({
      p50: round1(percentileCont(all, 0.5)),
      p95: round1(percentileCont(all, 0.95)),
      p99: round1(percentileCont(all, 0.99)),
      sampleSize: 102,
      sampled: false,
    });
    expect(body.attemptLatencyMs.method).toMatch(/most recent/);
    expect(outboundBy[ids.x].latencyMs).toMatchObject({ p50: 50.5, p95: 95.1, sampleSize: 100 });
    expect(outboundBy[ids.y].latencyMs).toMatchObject({ p50: 15, sampleSize: 2 });

    // A window not on whole hours: its edges are counted live, the middle from the rollup.
    const edges = await stats(`?from=2026-03-01T11:30:00Z&to=2026-03-03T12:30:00Z`);
    expect(edges.status).toBe(200);
    expect(edges.body.inbound.byState).toEqual(body.inbound.byState);
    expect(edges.body.outbound.byState).toEqual(body.outbound.byState);
    expect(edges.body.daily).toEqual(body.daily);
    const narrow = await stats(`?from=2026-03-01T12:00:01Z&to=2026-03-03T12:00:00Z`);
    expect(narrow.body.inbound.byState).toEqual({ rejected: 2, dead_letter: 1, done: 2 });
    expect(narrow.body.outbound.byState).toEqual({ error: 1, done: 1 });
  });

  it('counts what finished after the last rollup live, exactly once', async () => {
    const job = harness.adminApp.get(StatsRollupJob);
    await query(
      db(),
      `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body,
                                   received_at, processed_at)
       VALUES ($1, $2, 'p', 'done', 'POST', 'http://x', '\\x'::bytea, now() - interval '2 minutes', now() - interval '1 minute'),
              ($1, $2, 'p', 'error', 'POST', 'http://x', '\\x'::bytea, now() - interval '2 minutes', now() - interval '1 minute')`,
      [ids.tenant, ids.b],
    );
    await job.rollUp();
    const recent = await stats('');
    expect(recent.body.inbound.byState).toEqual({ done: 1, error: 1 });
    await job.rollUp();
    expect((await stats('')).body.inbound.byState).toEqual({ done: 1, error: 1 });
  });

  it('defaults to the last 7 days and validates the window', async () => {
    const res = await stats('');
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(7 * 86_400_000);
    expect(res.body.daily).toHaveLength(8);

    const reversed = await stats('?from=2026-03-04T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(reversed.status).toBe(400);
    expect(reversed.body.details[0].field).toBe('from');
    const tooLong = await stats('?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/from/);
    const notADate = await stats('?from=yesterday');
    expect(notADate.status).toBe(400);
    expect(notADate.body.details.map((d: { field: string }) => d.field)).toEqual(['from']);
    expect((await stats('?to=2026-03-02T00:00:00Z&extra=1')).status).toBe(400);
  });

  it('is tenant-scoped: another tenant sees none of these rows', async () => {
    const res = await harness.admin('/stats?from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z');
    expect(res.status).toBe(200);
    const endpointIds = [...res.body.inbound.endpoints, ...res.body.outbound.endpoints].map(
      (e: { endpointId: string }) => e.endpointId,
    );
    for (const id of [ids.a, ids.b, ids.x, ids.y]) expect(endpointIds).not.toContain(id);
    expect((await stats('', 'not-a-key-at-all-0000')).status).toBe(401);
  });
});
