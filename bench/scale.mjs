// The scale scenario (`npm run bench -- --scale`, issue 8 §1): the same measurements with
// a small and with a large number of stored rows, to show that cost per event stays flat.
// It starts the built gateway and admin app on loopback against a database of its own,
// seeds it with bench/seed-scale.mjs (settled events, deliveries and attempts), and at
// each size measures:
//   - inbound accept: autocannon, signed GitHub bodies with unique delivery ids (req/s,
//     p50/p99, CPU ms per accepted request of the gateway and Postgres);
//   - the admin list queries: inbound events and deliveries, first page and a deep keyset
//     page (a cursor 90% of the way down), and /stats over the default 7-day window and
//     over 30 days (all of the seeded rows), each repeated and reported as median/p95 ms.
// Prints a table and writes bench/results/scale-latest.json. Everything it creates is
// removed at the end (the children, the database, the Redis keys) unless --keep.
//
//   node bench/run.mjs --scale [--quick] [--small N] [--large N] [--duration S]
//                              [--connections C] [--repeat R] [--keep]
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { seedScale } from './seed-scale.mjs';
import {
  ROOT,
  RssSampler,
  assertLoopback,
  describeCpu,
  fmt,
  formatTable,
  parseFlags,
  freePort,
  isAlive,
  log,
  sleep,
  spawnApp,
  stopChild,
  waitFor,
} from './support.mjs';

function scaleArgs(argv) {
  const flags = parseFlags(argv, {
    booleans: ['quick', 'keep'],
    numbers: ['small', 'large', 'duration', 'connections', 'repeat'],
  });
  const quick = flags.quick ?? false;
  const small = flags.small ?? 10_000;
  const large = flags.large ?? (quick ? 100_000 : 1_000_000);
  if (large <= small) throw new Error('--large must exceed --small');
  return {
    quick,
    keep: flags.keep ?? false,
    small,
    large,
    duration: flags.duration ?? (quick ? 5 : 10),
    connections: flags.connections ?? 64,
    repeat: flags.repeat ?? (quick ? 15 : 30),
    warmupSeconds: 2,
  };
}

const median = (values) => percentile(values, 0.5);
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export async function runScale(argv) {
  const opts = scaleArgs(argv);
  const stamp = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${process.pid}`;
  const DATABASE = `hookgate_scale_${stamp}`;
  const QUEUE_PREFIX = `hgscale_${stamp}`;
  const PG_ADMIN_URL =
    process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  assertLoopback(PG_ADMIN_URL, 'BENCH_PG_ADMIN_URL');
  assertLoopback(REDIS_URL, 'BENCH_REDIS_URL');
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/${DATABASE}`;
  const DATABASE_URL = dbUrl.toString();
  const ADMIN_API_KEY = `bench-admin-${randomBytes(12).toString('hex')}`;
  const SECRET = `bench-github-secret-${randomBytes(8).toString('hex')}`;

  const children = [];
  let db;
  let inboundQueue;
  const sampler = new RssSampler({ database: DATABASE });

  const adminQuery = async (sql) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const sql = async (text, params) => {
    for (const child of children) {
      if (!isAlive(child) && !child.stopping) {
        throw new Error(`${child.name} exited unexpectedly:\n${child.output()}`);
      }
    }
    return (await db.query(text, params)).rows;
  };

  const cleanup = async () => {
    sampler.stop();
    await Promise.allSettled(children.map((child) => stopChild(child)));
    await inboundQueue?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    if (opts.keep) {
      log(`--keep: database ${DATABASE_URL} and Redis keys ${QUEUE_PREFIX}:* left in place`);
      return;
    }
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    await adminQuery(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`).catch((error) =>
      log(`could not drop ${DATABASE}: ${error}`),
    );
    log(`cleaned up: children stopped, Redis keys and database ${DATABASE} removed`);
  };

  const api = (port) => async (path) => {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      headers: { authorization: `Bearer ${ADMIN_API_KEY}` },
    });
    const body = await res.json();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    return { ms, body };
  };

  const cannon = (port, path, duration) => {
    const statuses = {};
    return new Promise((resolve, reject) => {
      autocannon(
        {
          url: `http://127.0.0.1:${port}`,
          connections: opts.connections,
          duration,
          timeout: 30,
          requests: [
            {
              method: 'POST',
              path,
              setupRequest(request) {
                const body = JSON.stringify({
                  action: 'opened',
                  issue: { number: Math.floor(Math.random() * 1e6), title: 'Scale bench' },
                  repository: { full_name: 'octocat/Hello-World' },
                  padding: 'x'.repeat(600),
                });
                request.body = body;
                request.headers = {
                  ...request.headers,
                  'content-type': 'application/json',
                  'x-github-event': 'issues',
                  'x-github-delivery': randomUUID(),
                  'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
                };
                return request;
              },
              onResponse(status) {
                statuses[status] = (statuses[status] ?? 0) + 1;
              },
            },
          ],
        },
        (error, result) => {
          if (error) return reject(error);
          resolve({
            accepted: statuses[202] ?? 0,
            statuses,
            durationS: result.duration,
            errors: result.errors,
            latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
          });
        },
      );
    });
  };

  try {
    const startedAt = new Date();
    const loadAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
    log(`scale run ${stamp}: ${opts.small} then ${opts.large} stored events and deliveries`);
    await adminQuery(`CREATE DATABASE "${DATABASE}"`);
    const ports = { admin: await freePort(), 'inbound-gateway': await freePort() };
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      SECRETS_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      DATABASE_URL,
      REDIS_URL,
      QUEUE_PREFIX,
      HOST: '127.0.0.1',
      ADMIN_API_KEY,
      ADMIN_PORT: String(ports.admin),
      INBOUND_PORT: String(ports['inbound-gateway']),
      // Rebuild the statistics rollup soon after each seeding.
      STATS_ROLLUP_INTERVAL_SECONDS: '2',
    };
    // One app first: it creates the database schema; the other then boots on it.
    for (const name of ['admin', 'inbound-gateway']) {
      const app = spawnApp(name, env);
      children.push(app);
      sampler.add(name, app.pid);
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${ports[name]}/health/ready`)).status === 200
            ? true
            : undefined,
        { timeoutMs: 90_000, what: `${name} ready` },
      );
    }
    db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    const admin = api(ports.admin);

    const post = async (path, body) => {
      const res = await fetch(`http://127.0.0.1:${ports.admin}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await post('/handlers', {
      code: 'scale-accept',
      name: 'scale bench: accept',
      direction: 'inbound',
      executionMode: 'rules',
      rules: [{ sequence: 10, name: 'accept', conditions: [], action: 'done' }],
    });
    await post('/inbound-endpoints', {
      name: 'scale accept',
      path: 'scale/accept',
      handler: 'scale-accept',
      signature: { mode: 'hmac', preset: 'github', secret: SECRET },
    });
    // Accepted events stay `received`: the worker would only add noise to the measurement.
    inboundQueue = new Queue('inbound-events', {
      connection: { url: REDIS_URL },
      prefix: QUEUE_PREFIX,
    });
    await inboundQueue.pause();
    const [{ id: tenantId }] = await sql(`SELECT id FROM tenants WHERE name = 'default'`);

    const deepCursor = async (table, timeColumn, stored) => {
      const [row] = await sql(
        `SELECT ${timeColumn} AS at, id FROM ${table} WHERE tenant_id = $1
          ORDER BY ${timeColumn} DESC, id DESC OFFSET $2 LIMIT 1`,
        [tenantId, Math.floor(stored * 0.9)],
      );
      return Buffer.from(JSON.stringify([new Date(row.at).toISOString(), row.id])).toString(
        'base64url',
      );
    };

    const measure = async (label, stored) => {
      log(`${label}: waiting for the statistics rollup`);
      await waitFor(
        async () => {
          const rows = await sql(
            `SELECT count(*)::int AS n FROM stats_rollup_watermarks WHERE rolled_up_to > '-infinity'`,
          );
          return rows[0].n === 2 ? true : undefined;
        },
        { timeoutMs: 600_000, intervalMs: 1000, what: 'the statistics rollup' },
      );
      const cursors = {
        events: await deepCursor('inbound_events', 'received_at', stored),
        deliveries: await deepCursor('deliveries', 'created_at', stored),
      };
      const from30 = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const queries = [
        ['GET /inbound-events (first page)', '/inbound-events?limit=50'],
        [
          'GET /inbound-events (deep cursor, 90%)',
          `/inbound-events?limit=50&cursor=${cursors.events}`,
        ],
        ['GET /deliveries (first page)', '/deliveries?limit=50'],
        ['GET /deliveries (deep cursor, 90%)', `/deliveries?limit=50&cursor=${cursors.deliveries}`],
        ['GET /stats (default 7 days)', '/stats'],
        ['GET /stats (30 days: every seeded row)', `/stats?from=${from30}`],
      ];
      const latencies = {};
      let statsCheck;
      for (const [name, path] of queries) {
        for (let i = 0; i < 3; i++) await admin(path);
        const samples = [];
        for (let i = 0; i < opts.repeat; i++) {
          const { ms, body } = await admin(path);
          samples.push(ms);
          if (name.startsWith('GET /stats (30')) statsCheck = body;
          else if (body.items && body.items.length !== 50) {
            throw new Error(`${name} answered ${body.items.length} items`);
          }
        }
        latencies[name] = { medianMs: median(samples), p95Ms: percentile(samples, 0.95) };
        log(
          `${label}: ${name}: median ${latencies[name].medianMs.toFixed(1)} ms, p95 ${latencies[name].p95Ms.toFixed(1)} ms`,
        );
      }
      log(`${label}: inbound accept, ${opts.warmupSeconds} s warm-up then ${opts.duration} s`);
      await cannon(ports['inbound-gateway'], '/webhooks/scale/accept', opts.warmupSeconds);
      sampler.cut();
      const accept = await cannon(
        ports['inbound-gateway'],
        '/webhooks/scale/accept',
        opts.duration,
      );
      const window = sampler.cut();
      accept.reqPerSec = accept.accepted / accept.durationS;
      accept.cpu = describeCpu(window.cpu, cpus().length, accept.accepted);
      accept.cpuMsPerRequest = Object.fromEntries(
        Object.entries(window.cpu.byGroupCores)
          .filter(([group]) => ['inbound-gateway', 'postgres (bench db)'].includes(group))
          .map(([group, cores]) => [group, (cores * window.cpu.seconds * 1000) / accept.accepted]),
      );
      log(
        `${label}: accept ${Math.round(accept.reqPerSec)} req/s, p50 ${accept.latencyMs.p50} ms, p99 ${accept.latencyMs.p99} ms; ${accept.cpu}`,
      );
      const [counts] = await sql(
        `SELECT (SELECT count(*) FROM inbound_events)::int AS events,
                (SELECT count(*) FROM deliveries)::int AS deliveries,
                (SELECT count(*) FROM delivery_attempts)::int AS attempts`,
      );
      return {
        stored: counts,
        latencies,
        accept,
        statsTotals: { inbound: statsCheck.inbound.total, outbound: statsCheck.outbound.total },
      };
    };

    const seed = async (events, deliveries) => {
      const started = Date.now();
      await seedScale({
        databaseUrl: DATABASE_URL,
        tenant: 'default',
        events,
        deliveries,
        quiet: true,
        days: 28,
      });
      log(
        `seeded ${events} events and ${deliveries} deliveries in ${(Date.now() - started) / 1000} s`,
      );
    };

    await seed(opts.small, opts.small);
    const small = await measure(`${opts.small} rows`, opts.small);
    const [{ events: storedEvents }] = await sql(
      `SELECT count(*)::int AS events FROM inbound_events`,
    );
    // Top up to `large` stored events (the small phase's accepted events count too).
    await seed(Math.max(0, opts.large - storedEvents), opts.large - opts.small);
    const large = await measure(`${opts.large} rows`, opts.large);

    const rows = [];
    const ratio = (a, b) => (b > 0 ? a / b : NaN);
    rows.push({
      measure: `inbound accept, req/s (${opts.connections} conns, ${opts.duration} s)`,
      small: fmt(small.accept.reqPerSec),
      large: fmt(large.accept.reqPerSec),
      ratio: fmt(ratio(large.accept.reqPerSec, small.accept.reqPerSec), 2),
      target: 'large ≥ 0.80× small',
      met: ratio(large.accept.reqPerSec, small.accept.reqPerSec) >= 0.8 ? 'yes' : 'NO',
    });
    rows.push({
      measure: 'inbound accept, p50/p99 ms',
      small: `${small.accept.latencyMs.p50}/${small.accept.latencyMs.p99}`,
      large: `${large.accept.latencyMs.p50}/${large.accept.latencyMs.p99}`,
      ratio: fmt(ratio(large.accept.latencyMs.p99, small.accept.latencyMs.p99), 2),
      target: '—',
      met: '—',
    });
    const cpuPer = (result) =>
      Object.values(result.accept.cpuMsPerRequest).reduce((sum, ms) => sum + ms, 0);
    rows.push({
      measure: 'inbound accept, CPU ms per request (gateway + its Postgres)',
      small: fmt(cpuPer(small), 2),
      large: fmt(cpuPer(large), 2),
      ratio: fmt(ratio(cpuPer(large), cpuPer(small)), 2),
      target: 'large ≤ 1.20× small',
      met: ratio(cpuPer(large), cpuPer(small)) <= 1.2 ? 'yes' : 'NO',
    });
    for (const name of Object.keys(small.latencies)) {
      const a = small.latencies[name];
      const b = large.latencies[name];
      const r = ratio(b.medianMs, a.medianMs);
      const isStats = name.startsWith('GET /stats');
      rows.push({
        measure: `${name}, median/p95 ms`,
        small: `${fmt(a.medianMs, 1)}/${fmt(a.p95Ms, 1)}`,
        large: `${fmt(b.medianMs, 1)}/${fmt(b.p95Ms, 1)}`,
        ratio: fmt(r, 2),
        target: isStats ? '< 200 ms at large' : 'large ≤ 1.20× small',
        met: isStats ? (b.p95Ms < 200 ? 'yes' : 'NO') : r <= 1.2 ? 'yes' : 'NO',
      });
    }
    const table = formatTable(
      [
        { key: 'measure', title: 'scale: measure' },
        { key: 'small', title: `${fmt(opts.small)} rows` },
        { key: 'large', title: `${fmt(opts.large)} rows` },
        { key: 'ratio', title: 'large/small' },
        { key: 'target', title: 'target' },
        { key: 'met', title: 'met' },
      ],
      rows,
    );
    const notes = [
      `${startedAt.toISOString()} · ${cpus().length} cores (${cpus()[0]?.model}) · Node ${process.version}; load average at start ${loadAtStart.join(' ')}, at end ${loadavg()
        .map((v) => Math.round(v * 100) / 100)
        .join(
          ' ',
        )}; the machine is shared (other work runs beside the bench), so expect noise of tens of percent between runs`,
      `stored rows at the small size: ${JSON.stringify(small.stored)}; at the large size: ${JSON.stringify(large.stored)} (settled rows spread over 28 days by bench/seed-scale.mjs, plus the accepted events); /stats over 30 days counted ${large.statsTotals.inbound} events and ${large.statsTotals.outbound} deliveries`,
      `admin queries: each ${opts.repeat} times in a row after 3 warm-ups, one at a time, wall-clock time of the HTTP request`,
      `CPU during accept at the small size: ${small.accept.cpu}`,
      `CPU during accept at the large size: ${large.accept.cpu}`,
    ];
    process.stdout.write(`\n${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    writeFileSync(
      `${ROOT}bench/results/scale-latest.json`,
      `${JSON.stringify({ startedAt, options: opts, table: rows, notes, small, large, rss: sampler.final() }, null, 2)}\n`,
    );
    log('wrote bench/results/scale-latest.json');
    return 0;
  } catch (error) {
    log(`scale scenario failed: ${error?.stack ?? error}`);
    return 1;
  } finally {
    await cleanup();
    await sleep(50);
  }
}
