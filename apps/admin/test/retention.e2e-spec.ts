import { Client } from 'pg';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { defaultTenantId, query } from '../../../test/support/database';
import { RetentionRepository } from '@app/persistence';
import { RetentionJob } from '../src/retention/retention.job';

/**
 * Retention (SPEC §11) against real Postgres: only final, expired rows go (per tenant
 * period, both directions, attempts with their deliveries, refused publish requests),
 * and webhooks keep being accepted and committed while a large purge runs.
 */
const db = () => process.env.DATABASE_URL!;

const EVENT_STATES = ['received', 'processing', 'done', 'error', 'dead_letter', 'rejected'];
const DELIVERY_STATES = [
  'draft',
  'queued',
  'processing',
  'done',
  'error',
  'dead_letter',
  'canceled',
];
const AGES = [40, 10, 1];

async function makeTenant(retentionDays?: number): Promise<{
  id: string;
  inboundEndpoint: string;
  outboundEndpoint: string;
}> {
  const [{ id }] = await query<{ id: string }>(
    db(),
    retentionDays
      ? `INSERT INTO tenants (name, retention_days) VALUES ($1, $2) RETURNING id`
      : `INSERT INTO tenants (name) VALUES ($1) RETURNING id`,
    retentionDays ? [unique('retention'), retentionDays] : [unique('retention')],
  );
  const [{ id: handler }] = await query<{ id: string }>(
    db(),
    `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode)
     VALUES ($1, 'h', 'h', 'inbound', 'rules') RETURNING id`,
    [id],
  );
  const [{ id: inboundEndpoint }] = await query<{ id: string }>(
    db(),
    `INSERT INTO inbound_endpoints (tenant_id, name, path, handler_id) VALUES ($1, $2, $2, $3) RETURNING id`,
    [id, unique('retention-in'), handler],
  );
  const [{ id: outboundEndpoint }] = await query<{ id: string }>(
    db(),
    `INSERT INTO outbound_endpoints (tenant_id, code, name) VALUES ($1, 'out', 'out') RETURNING id`,
    [id],
  );
  return { id, inboundEndpoint, outboundEndpoint };
}

/** One event and one delivery (with two attempts) per state and age, labelled `<state>-<age>`. */
async function seedMixed(tenant: Awaited<ReturnType<typeof makeTenant>>): Promise<void> {
  for (const state of EVENT_STATES) {
    for (const age of AGES) {
      await query(
        db(),
        `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body,
                                     received_at, processed_at)
         VALUES ($1, $2, 'p', $3, 'POST', $4, '\\x'::bytea, now() - make_interval(days => $5),
                 CASE WHEN $3 IN ('done', 'error', 'dead_letter') THEN now() - make_interval(days => $5) END)`,
        [tenant.id, tenant.inboundEndpoint, state, `${state}-${age}`, age],
      );
    }
  }
  // Received long ago, finished two days ago (a retried event): its period starts at the finish.
  await query(
    db(),
    `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body, received_at, processed_at)
     VALUES ($1, $2, 'p', 'done', 'POST', 'done-late', '\\x'::bytea, now() - interval '40 days', now() - interval '2 days')`,
    [tenant.id, tenant.inboundEndpoint],
  );
  const deliveries: Array<[string, string, string]> = [];
  for (const state of DELIVERY_STATES) {
    for (const age of AGES) deliveries.push([state, `${state}-${age}`, `${age} days`]);
  }
  for (const [state, label, age] of deliveries) {
    await query(
      db(),
      `WITH d AS (
         INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, state, idempotency_key, created_at,
                                 updated_at, completed_at)
         VALUES ($1, $2, 'out', $3, $4, now() - $5::interval, now() - $5::interval,
                 CASE WHEN $3 IN ('done', 'dead_letter', 'canceled') THEN now() - $5::interval END)
         RETURNING id, tenant_id, endpoint_id)
       INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, outcome)
       SELECT id, tenant_id, endpoint_id, n, 'success' FROM d, generate_series(1, 2) n`,
      [tenant.id, tenant.outboundEndpoint, state, label, age],
    );
  }
  await query(
    db(),
    `INSERT INTO deliveries (tenant_id, endpoint_id, endpoint_code, state, idempotency_key, created_at, completed_at)
     VALUES ($1, $2, 'out', 'done', 'done-late', now() - interval '40 days', now() - interval '1 day')`,
    [tenant.id, tenant.outboundEndpoint],
  );
}

async function remaining(tenantId: string) {
  const events = await query<{ url: string }>(
    db(),
    `SELECT url FROM inbound_events WHERE tenant_id = $1 ORDER BY url`,
    [tenantId],
  );
  const deliveries = await query<{ idempotency_key: string; attempts: number }>(
    db(),
    `SELECT d.idempotency_key, (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts
       FROM deliveries d WHERE d.tenant_id = $1 ORDER BY 1`,
    [tenantId],
  );
  const orphanAttempts = await query<{ n: number }>(
    db(),
    `SELECT count(*)::int AS n FROM delivery_attempts a
      WHERE a.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)`,
    [tenantId],
  );
  return {
    events: events.map((e) => e.url),
    deliveries: deliveries.map((d) => d.idempotency_key),
    attempts: Object.fromEntries(deliveries.map((d) => [d.idempotency_key, d.attempts])),
    orphanAttempts: orphanAttempts[0].n,
  };
}

function labels(states: string[], except: string[]): string[] {
  return states
    .flatMap((state) => AGES.map((age) => `${state}-${age}`))
    .filter((label) => !except.includes(label))
    .concat('done-late')
    .sort();
}

describe('retention', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ env: { RETENTION_BATCH_SIZE: '500' } });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('deletes only final rows older than their tenant’s period (default 30 days)', async () => {
    const standard = await makeTenant();
    const short = await makeTenant(7);
    await seedMixed(standard);
    await seedMixed(short);

    const result = await harness.adminApp.get(RetentionJob).purge();
    expect(result.ran).toBe(true);
    expect(result.inboundEvents).toBeGreaterThanOrEqual(6);
    expect(result.deliveries).toBeGreaterThanOrEqual(3);

    const kept30 = await remaining(standard.id);
    expect(kept30.events).toEqual(labels(EVENT_STATES, ['done-40', 'rejected-40']));
    expect(kept30.deliveries).toEqual(labels(DELIVERY_STATES, ['done-40']));
    const kept7 = await remaining(short.id);
    expect(kept7.events).toEqual(
      labels(EVENT_STATES, ['done-40', 'rejected-40', 'done-10', 'rejected-10']),
    );
    expect(kept7.deliveries).toEqual(labels(DELIVERY_STATES, ['done-40', 'done-10']));

    // Attempts went with their deliveries and only with them.
    for (const kept of [kept30, kept7]) {
      expect(kept.orphanAttempts).toBe(0);
      for (const label of kept.deliveries) {
        expect(kept.attempts[label]).toBe(label === 'done-late' ? 0 : 2);
      }
    }
    const [{ n: remainingAttempts }] = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM delivery_attempts WHERE tenant_id = ANY($1)`,
      [[standard.id, short.id]],
    );
    expect(remainingAttempts).toBe((kept30.deliveries.length + kept7.deliveries.length - 2) * 2);

    // A second pass finds nothing more of these tenants.
    await harness.adminApp.get(RetentionJob).purge();
    expect(await remaining(standard.id)).toEqual(kept30);
    expect(await remaining(short.id)).toEqual(kept7);
  });

  it('one replica at a time: a pass skips while another holds the lock', async () => {
    const tenant = await makeTenant(7);
    await seedMixed(tenant);
    const other = new Client({ connectionString: db() });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock($1)`, [0x686b_7265]);
      const skipped = await harness.adminApp.get(RetentionJob).purge();
      expect(skipped).toEqual({
        inboundEvents: 0,
        deliveries: 0,
        outboundRequestRefusals: 0,
        expiredSigningSecrets: 0,
        ran: false,
      });
      expect((await remaining(tenant.id)).events).toHaveLength(EVENT_STATES.length * 3 + 1);
    } finally {
      await other.end();
    }
    expect((await harness.adminApp.get(RetentionJob).purge()).ran).toBe(true);
    expect((await remaining(tenant.id)).events).toHaveLength(EVENT_STATES.length * 3 + 1 - 4);
  });

  it('deletes refused publish requests older than their tenant’s period, in batches', async () => {
    // Whatever expired rows other tests of this run left go first, so the counts below are ours.
    await harness.adminApp.get(RetentionJob).purge();
    const standard = await makeTenant();
    const short = await makeTenant(7);
    const defaultTenant = await defaultTenantId(db());
    const [{ retention_days: defaultDays }] = await query<{ retention_days: number }>(
      db(),
      `SELECT retention_days FROM tenants WHERE id = $1`,
      [defaultTenant],
    );
    const run = unique('refusals');
    // One refusal per owner and age, labelled `<owner>-<age>`; `unowned` named no tenant
    // that exists (tenant_id null), so it is the default tenant's.
    const owners: Array<{ tag: string; tenantId: string | null; days: number }> = [
      { tag: 'standard', tenantId: standard.id, days: 30 },
      { tag: 'short', tenantId: short.id, days: 7 },
      { tag: 'unowned', tenantId: null, days: defaultDays },
    ];
    for (const owner of owners) {
      for (const age of AGES) {
        await query(
          db(),
          `INSERT INTO outbound_request_refusals (job_key, job_name, tenant, reason, data, data_bytes,
                                                  created_at, tenant_id)
           VALUES ($1, 'publish', $2, 'invalid_job: nope', '{}', 2,
                   now() - make_interval(days => $3), $4)`,
          [`${run}:${owner.tag}-${age}`, owner.tag, age, owner.tenantId],
        );
      }
    }
    // Enough expired ones of the short tenant for three batches of RETENTION_BATCH_SIZE (500).
    const BULK = 1203;
    await query(
      db(),
      `INSERT INTO outbound_request_refusals (job_key, job_name, tenant, reason, data, data_bytes,
                                              created_at, tenant_id)
       SELECT $1 || ':bulk-' || g, 'deliver', 'short', 'invalid_job: nope', '{}', 2,
              now() - interval '40 days', $2
         FROM generate_series(1, $3) g`,
      [run, short.id, BULK],
    );

    const batches: number[] = [];
    const original = RetentionRepository.prototype.purgeRequestRefusals;
    const counting = jest
      .spyOn(RetentionRepository.prototype, 'purgeRequestRefusals')
      .mockImplementation(async function (this: RetentionRepository, tenant, limit) {
        const deleted = await original.call(this, tenant, limit);
        batches.push(deleted);
        return deleted;
      });
    let result: Awaited<ReturnType<RetentionJob['purge']>>;
    try {
      result = await harness.adminApp.get(RetentionJob).purge();
    } finally {
      counting.mockRestore();
    }

    // Unowned refusals follow the default tenant's period (30 days unless changed), not
    // the period of whichever tenant's pass meets them: `unowned-10` outlives `short-10`.
    expect(defaultDays).toBeGreaterThan(10);
    const expired = owners.flatMap((o) =>
      AGES.filter((age) => age > o.days).map((age) => `${o.tag}-${age}`),
    );
    expect(expired).toEqual(expect.arrayContaining(['standard-40', 'short-40', 'short-10']));
    expect(expired).toContain('unowned-40');
    expect(expired).not.toContain('unowned-10');
    expect(result.ran).toBe(true);
    expect(result.outboundRequestRefusals).toBe(BULK + expired.length);
    // Bounded: no statement deleted more than a batch, and the bulk took several.
    expect(Math.max(...batches)).toBe(500);
    expect(batches.filter((n) => n === 500).length).toBe(2);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(BULK + expired.length);

    const left = await query<{ job_key: string }>(
      db(),
      `SELECT job_key FROM outbound_request_refusals WHERE job_key LIKE $1 ORDER BY job_key`,
      [`${run}:%`],
    );
    const kept = owners
      .flatMap((o) => AGES.map((age) => `${o.tag}-${age}`))
      .filter((label) => !expired.includes(label));
    expect(left.map((r) => r.job_key)).toEqual(kept.map((label) => `${run}:${label}`).sort());
    // Each tenant's survivors are its own, by tenant_id.
    const byOwner = await query<{ tenant_id: string | null; n: number }>(
      db(),
      `SELECT tenant_id, count(*)::int AS n FROM outbound_request_refusals
        WHERE job_key LIKE $1 GROUP BY tenant_id`,
      [`${run}:%`],
    );
    const count = (id: string | null) => byOwner.find((r) => r.tenant_id === id)?.n ?? 0;
    expect([count(standard.id), count(short.id), count(null)]).toEqual([2, 1, 2]);
    expect(kept).toHaveLength(5);

    // A second pass finds nothing more of them.
    expect((await harness.adminApp.get(RetentionJob).purge()).outboundRequestRefusals).toBe(0);
    expect(
      await query(
        db(),
        `SELECT job_key FROM outbound_request_refusals WHERE job_key LIKE $1 ORDER BY job_key`,
        [`${run}:%`],
      ),
    ).toEqual(left);
  });

  it('ingestion keeps answering and committing during a large purge', async () => {
    const tenant = await makeTenant(7);
    const ELIGIBLE = 200_000;
    await query(
      db(),
      `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body,
                                   payload, received_at, processed_at)
       SELECT $1, $2, 'p', CASE WHEN g % 10 = 0 THEN 'rejected' ELSE 'done' END, 'POST', 'old',
              convert_to('{"n":' || g || '}', 'UTF8'), jsonb_build_object('n', g),
              now() - interval '40 days', now() - interval '40 days'
         FROM generate_series(1, $3) g`,
      [tenant.id, tenant.inboundEndpoint, ELIGIBLE],
    );
    await query(db(), `ANALYZE inbound_events`);

    const handler = await createHandler(harness, {
      rules: [{ sequence: 1, name: 'all', conditions: [], action: 'done' }],
    });
    const endpoint = await createInboundEndpoint(harness, { handler: handler.code });

    let purging = true;
    const purge = harness.adminApp
      .get(RetentionJob)
      .purge()
      .finally(() => (purging = false));
    const answers: Array<{ status: number; id?: string; duringPurge: boolean }> = [];
    const sender = async (worker: number) => {
      for (let i = 0; purging || i < 5; i++) {
        const res = await post(
          harness,
          `/webhooks/${endpoint.path}`,
          JSON.stringify({ worker, i }),
          { 'Idempotency-Key': unique(`during-${worker}`) },
        );
        answers.push({ status: res.status, id: res.body?.id, duringPurge: purging });
      }
    };
    await Promise.all([purge, ...[1, 2, 3, 4].map(sender)]);

    const result = await purge;
    expect(result.inboundEvents).toBeGreaterThanOrEqual(ELIGIBLE);
    const [{ n: left }] = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM inbound_events WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(left).toBe(0);

    // Many requests were answered while the purge ran; every one 202 and committed.
    expect(answers.filter((a) => a.duringPurge).length).toBeGreaterThanOrEqual(20);
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const ids = answers.map((a) => a.id!);
    const [{ n: stored }] = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM inbound_events WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(stored).toBe(ids.length);
  });
});
