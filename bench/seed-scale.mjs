#!/usr/bin/env node
// Seeds a Hookgate database with many settled inbound events, deliveries and delivery
// attempts, fast: each chunk is one INSERT … SELECT over generate_series (no per-row round
// trips), then VACUUM (ANALYZE) so index-only scans and planner statistics are right even
// where autovacuum is off. Used by the bench's scale scenario (bench/scale.mjs) and on its
// own:
//
//   node bench/seed-scale.mjs --events 1000000 --deliveries 1000000 \
//        --database-url postgres://postgres@127.0.0.1:5432/hookgate [--tenant default] [--days 28]
//
// The database must already be migrated (start an app once, or `npm run migrate`). Rows
// are only ever settled (done, rejected, error, dead_letter, canceled), spread over the
// last `--days` days, so no worker or reconciler picks them up; rows are appended, so
// running it twice doubles the data. It resets the hourly statistics rollup, which the
// admin app rebuilds on its next pass (STATS_ROLLUP_INTERVAL_SECONDS). It creates (once) the handler `seed-scale`, inbound
// endpoints `seed/scale-1..4` and active outbound endpoints `seed-scale-1..4` (pointing at
// 127.0.0.1:9, never dispatched to) in the tenant.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseFlags } from './support.mjs';

const CHUNK = 50_000;
const ENDPOINTS = 4;

function seedArgs(argv) {
  const flags = parseFlags(argv, {
    booleans: ['quiet', 'help'],
    counts: ['events', 'deliveries'],
    strings: ['database-url', 'tenant', 'days'],
  });
  if (flags.help) {
    process.stdout.write(
      'node bench/seed-scale.mjs --events N --deliveries M --database-url URL [--tenant default] [--days 28]\n',
    );
    process.exit(0);
  }
  const options = {
    events: flags.events ?? 0,
    deliveries: flags.deliveries ?? 0,
    databaseUrl: flags['database-url'],
    tenant: flags.tenant ?? 'default',
    days: Number(flags.days ?? 28),
    quiet: flags.quiet ?? false,
  };
  if (!(options.days > 0)) throw new Error('--days must be positive');
  options.databaseUrl ??= process.env.DATABASE_URL;
  if (!options.databaseUrl) throw new Error('--database-url (or DATABASE_URL) is required');
  const { hostname } = new URL(options.databaseUrl);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) {
    throw new Error(`the seeding script only writes to a loopback Postgres, got ${hostname}`);
  }
  return options;
}

/** The handler and the endpoints the rows belong to; created once per tenant. */
async function ensureEndpoints(client, tenant) {
  const tenants = await client.query(`SELECT id FROM tenants WHERE name = $1`, [tenant]);
  if (tenants.rowCount === 0) throw new Error(`tenant "${tenant}" does not exist`);
  const tenantId = tenants.rows[0].id;
  await client.query(
    `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode)
     VALUES ($1, 'seed-scale', 'seeded data (bench/seed-scale.mjs)', 'inbound', 'rules')
     ON CONFLICT (tenant_id, code) DO NOTHING`,
    [tenantId],
  );
  const [{ id: handlerId }] = (
    await client.query(`SELECT id FROM handlers WHERE tenant_id = $1 AND code = 'seed-scale'`, [
      tenantId,
    ])
  ).rows;
  const inbound = [];
  const outbound = [];
  for (let n = 1; n <= ENDPOINTS; n++) {
    // Paths are global: a second tenant's seed gets its own.
    const path = tenant === 'default' ? `seed/scale-${n}` : `seed/${tenant}/scale-${n}`;
    await client.query(
      `INSERT INTO inbound_endpoints (tenant_id, name, path, handler_id)
       VALUES ($1, $2, $3, $4) ON CONFLICT (path) DO NOTHING`,
      [tenantId, `seeded ${n}`, path, handlerId],
    );
    inbound.push(
      (
        await client.query(
          `SELECT id, path FROM inbound_endpoints WHERE path = $1 AND tenant_id = $2`,
          [path, tenantId],
        )
      ).rows[0],
    );
    await client.query(
      `INSERT INTO outbound_endpoints (tenant_id, code, name, state, target_host, target_path)
       VALUES ($1, $2, $3, 'active', 'http://127.0.0.1:9', '/seeded')
       ON CONFLICT (tenant_id, code) DO NOTHING`,
      [tenantId, `seed-scale-${n}`, `seeded ${n}`],
    );
    outbound.push(
      (
        await client.query(
          `SELECT id, code FROM outbound_endpoints WHERE tenant_id = $1 AND code = $2`,
          [tenantId, `seed-scale-${n}`],
        )
      ).rows[0],
    );
  }
  return { tenantId, inbound, outbound };
}

// Per row g: states and endpoints spread pseudo-randomly but reproducibly (hash of g); times
// rise with g across the whole run, as rows arrive in real life (so the newest rows sit
// together at the end of the table, as they would).
const EVENTS_SQL = `
  INSERT INTO inbound_events
    (tenant_id, endpoint_id, endpoint_path, state, method, url, headers, raw_body, content_type,
     payload, delivery_identity, reject_reason, reject_code, matched_rule, execution_log, error,
     attempts, received_at, processed_at, updated_at)
  SELECT $1::uuid, ep.id, ep.path, s.state, 'POST', 'http://127.0.0.1/webhooks/' || ep.path,
         jsonb_build_object('content-type', 'application/json', 'x-github-event', 'issues',
                            'x-github-delivery', $2::text || '-' || g),
         convert_to(p.body::text, 'UTF8'), 'application/json', p.body,
         CASE WHEN s.state <> 'rejected' THEN $2::text || '-' || g END,
         CASE WHEN s.state = 'rejected' THEN 'signature_invalid: no signature matched' END,
         CASE WHEN s.state = 'rejected' THEN 'signature_invalid' END,
         CASE WHEN s.state = 'done' THEN 'opened issues' END,
         CASE WHEN s.state <> 'rejected' THEN jsonb_build_object(
           'direction', 'inbound', 'mode', 'rules', 'action', s.state, 'matchedRule', 'opened issues',
           'rules', jsonb_build_array(jsonb_build_object('sequence', 10, 'name', 'opened issues', 'matched', true,
             'conditions', jsonb_build_array(jsonb_build_object('source', 'payload', 'path', 'action',
               'operator', '=', 'expected', 'opened', 'actual', 'opened', 'result', true)))),
           'assignments', '[]'::jsonb, 'lookups', '[]'::jsonb, 'records', '[]'::jsonb) END,
         CASE WHEN s.state IN ('error', 'dead_letter') THEN 'seeded failure' END,
         CASE WHEN s.state = 'rejected' THEN 0 ELSE 1 END,
         t.at, CASE WHEN s.state <> 'rejected' THEN t.at + interval '40 milliseconds' END, t.at
    FROM generate_series($3::bigint, $4::bigint) AS g
    CROSS JOIN LATERAL (SELECT abs(hashint8(g)) AS h) AS r
    CROSS JOIN LATERAL (SELECT CASE
             WHEN r.h % 100 < 90 THEN 'done' WHEN r.h % 100 < 95 THEN 'rejected'
             WHEN r.h % 100 < 98 THEN 'error' ELSE 'dead_letter' END AS state) AS s
    CROSS JOIN LATERAL (SELECT now() - (1 - g::float8 / $9) * make_interval(days => $5)
             - interval '1 minute' AS at) AS t
    CROSS JOIN LATERAL (SELECT jsonb_build_object('action', 'opened',
             'issue', jsonb_build_object('number', g, 'title', 'Seeded issue ' || g, 'state', 'open'),
             'repository', jsonb_build_object('full_name', 'octocat/Hello-World')) AS body) AS p
    JOIN LATERAL (SELECT * FROM unnest($6::uuid[], $7::text[]) WITH ORDINALITY AS e(id, path, n)
                   WHERE e.n = 1 + (r.h / 7) % $8) AS ep ON true`;

// Deliveries and their attempts in one statement: done → one success attempt; error → one
// error attempt; dead_letter → a retry and a dead_letter attempt; canceled → none.
const DELIVERIES_SQL = `
  WITH d AS (
    INSERT INTO deliveries
      (tenant_id, endpoint_id, endpoint_code, event_type, state, payload, idempotency_key, attempts,
       last_error, response_status, created_at, updated_at, completed_at)
    SELECT $1::uuid, ep.id, ep.code, 'invoice.paid', s.state,
           jsonb_build_object('id', 'inv_' || g, 'amount', 1000 + g % 977, 'currency', 'EUR'),
           $2::text || '-' || g,
           CASE s.state WHEN 'dead_letter' THEN 2 WHEN 'canceled' THEN 0 ELSE 1 END,
           CASE WHEN s.state IN ('error', 'dead_letter') THEN 'HTTP 500' END,
           CASE s.state WHEN 'done' THEN 200 WHEN 'error' THEN 400 WHEN 'dead_letter' THEN 500 END,
           t.at, t.at, CASE WHEN s.state <> 'canceled' THEN t.at + interval '1 second' END
      FROM generate_series($3::bigint, $4::bigint) AS g
      CROSS JOIN LATERAL (SELECT abs(hashint8(-g)) AS h) AS r
      CROSS JOIN LATERAL (SELECT CASE
               WHEN r.h % 100 < 92 THEN 'done' WHEN r.h % 100 < 95 THEN 'error'
               WHEN r.h % 100 < 98 THEN 'dead_letter' ELSE 'canceled' END AS state) AS s
      CROSS JOIN LATERAL (SELECT now() - (1 - g::float8 / $9) * make_interval(days => $5)
               - interval '1 minute' AS at) AS t
      JOIN LATERAL (SELECT * FROM unnest($6::uuid[], $7::text[]) WITH ORDINALITY AS e(id, code, n)
                     WHERE e.n = 1 + (r.h / 7) % $8) AS ep ON true
    RETURNING id, tenant_id, endpoint_id, state, attempts, created_at, abs(hashtext(idempotency_key)::bigint) AS h
  )
  INSERT INTO delivery_attempts
    (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at, duration_ms,
     response_status, error, outcome)
  SELECT d.id, d.tenant_id, d.endpoint_id, a.n, d.created_at + (a.n - 1) * interval '1 second',
         d.created_at + (a.n - 1) * interval '1 second' + ms.v * interval '1 millisecond', ms.v,
         CASE WHEN d.state = 'done' THEN 200 WHEN d.state = 'error' THEN 400 ELSE 500 END,
         CASE WHEN d.state <> 'done' THEN 'HTTP ' || CASE WHEN d.state = 'error' THEN 400 ELSE 500 END END,
         CASE WHEN d.state = 'done' THEN 'success' WHEN d.state = 'error' THEN 'error'
              WHEN a.n < d.attempts THEN 'retry' ELSE 'dead_letter' END
    FROM d
    CROSS JOIN LATERAL generate_series(1, d.attempts) AS a(n)
    -- Durations: mostly 5–60 ms with a long tail, like a real HTTP target.
    CROSS JOIN LATERAL (SELECT (5 + (d.h % 56) + CASE WHEN d.h % 50 = 0 THEN d.h % 2000 ELSE 0 END
                                + a.n)::int AS v) AS ms`;

export async function seedScale(options) {
  const say = options.quiet ? () => undefined : (m) => process.stderr.write(`[seed] ${m}\n`);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query(`SET statement_timeout = 0`);
    // Seeding is bulk data a crash may lose: no need to wait for each commit's flush.
    await client.query(`SET synchronous_commit = off`);
    const { tenantId, inbound, outbound } = await ensureEndpoints(client, options.tenant);
    const tag = `seed-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    for (let from = 1; from <= options.events; from += CHUNK) {
      const to = Math.min(options.events, from + CHUNK - 1);
      await client.query(EVENTS_SQL, [
        tenantId,
        tag,
        from,
        to,
        options.days,
        inbound.map((e) => e.id),
        inbound.map((e) => e.path),
        inbound.length,
        options.events,
      ]);
      say(`events ${to}/${options.events} (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    const deliveriesStarted = Date.now();
    for (let from = 1; from <= options.deliveries; from += CHUNK) {
      const to = Math.min(options.deliveries, from + CHUNK - 1);
      await client.query(DELIVERIES_SQL, [
        tenantId,
        tag,
        from,
        to,
        options.days,
        outbound.map((e) => e.id),
        outbound.map((e) => e.code),
        outbound.length,
        options.deliveries,
      ]);
      say(
        `deliveries ${to}/${options.deliveries} (${Math.round((Date.now() - deliveriesStarted) / 1000)} s)`,
      );
    }
    // Seeded rows finished in the past, behind the statistics rollup's watermark: reset
    // it, so the admin app's StatsRollupJob counts everything again on its next pass.
    const rollup = await client.query(`SELECT to_regclass('stats_rollup_watermarks') AS t`);
    if (rollup.rows[0].t) {
      await client.query('BEGIN');
      await client.query(`DELETE FROM stats_hourly`);
      await client.query(`DELETE FROM stats_hourly_breakdowns`);
      await client.query(`UPDATE stats_rollup_watermarks SET rolled_up_to = '-infinity'`);
      await client.query('COMMIT');
    }
    const vacuumStarted = Date.now();
    for (const table of ['inbound_events', 'deliveries', 'delivery_attempts']) {
      await client.query(`VACUUM (ANALYZE) ${table}`);
    }
    say(`VACUUM (ANALYZE) ${Math.round((Date.now() - vacuumStarted) / 1000)} s`);
    return {
      tenantId,
      inboundEndpointIds: inbound.map((e) => e.id),
      outboundEndpointIds: outbound.map((e) => e.id),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const options = seedArgs(process.argv.slice(2));
    const result = await seedScale(options);
    process.stdout.write(
      `seeded ${options.events} events and ${options.deliveries} deliveries in ${result.seconds.toFixed(1)} s\n`,
    );
  } catch (error) {
    process.stderr.write(`seed-scale failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  }
}
