// The scale scenario (`npm run bench -- --scale`, issue 8 §1): the same measurements with
// a small and with a large number of stored rows, to show that cost per event stays flat.
// For each size it starts a stack of its own on loopback (a database, the built gateway and
// admin app), seeds the database with bench/seed-scale.mjs (settled events, deliveries and
// attempts), and then measures both stacks in alternation, so that a drift in the shared
// machine's load weighs the same on both sizes:
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
  adminPoster,
  waitFor,
  waitForReady,
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
  const PG_ADMIN_URL =
    process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  assertLoopback(PG_ADMIN_URL, 'BENCH_PG_ADMIN_URL');
  assertLoopback(REDIS_URL, 'BENCH_REDIS_URL');
  const ADMIN_API_KEY = `bench-admin-${randomBytes(12).toString('hex')}`;
  const SECRET = `bench-github-secret-${randomBytes(8).toString('hex')}`;

  // Two stacks, one per size, each with its own database, queue prefix, gateway and admin
  // app, measured in alternation (see measureAdmin and measureAccept): a shared machine's
  // load drifts over minutes, and measuring one size after the other put that drift into
  // the ratio.
  const DATABASE_PREFIX = `hookgate_scale_${stamp}_`;
  const stacks = Object.fromEntries(
    Object.entries({ small: opts.small, large: opts.large }).map(([key, size]) => {
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${DATABASE_PREFIX}${key}`;
      return [
        key,
        {
          key,
          size,
          label: `${fmt(size)} rows`,
          database: `${DATABASE_PREFIX}${key}`,
          databaseUrl: url.toString(),
          queuePrefix: `hgscale_${stamp}_${key}`,
          gatewayName: `inbound-gateway (${key})`,
          adminName: `admin (${key})`,
        },
      ];
    }),
  );
  const both = [stacks.small, stacks.large];

  const children = [];
  const sampler = new RssSampler({ database: DATABASE_PREFIX });

  const adminQuery = async (sql) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const sqlOn = async (stack, text, params) => {
    for (const child of children) {
      if (!isAlive(child) && !child.stopping) {
        throw new Error(`${child.name} exited unexpectedly:\n${child.output()}`);
      }
    }
    return (await stack.db.query(text, params)).rows;
  };

  const cleanup = async () => {
    sampler.stop();
    await Promise.allSettled(children.map((child) => stopChild(child)));
    for (const stack of both) {
      await stack.inboundQueue?.close().catch(() => undefined);
      await stack.db?.end().catch(() => undefined);
    }
    if (opts.keep) {
      for (const stack of both) {
        log(
          `--keep: database ${stack.databaseUrl} and Redis keys ${stack.queuePrefix}:* left in place`,
        );
      }
      return;
    }
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      for (const stack of both) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(
            cursor,
            'MATCH',
            `${stack.queuePrefix}:*`,
            'COUNT',
            1000,
          );
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      }
    } finally {
      redis.disconnect();
    }
    for (const stack of both) {
      await adminQuery(`DROP DATABASE IF EXISTS "${stack.database}" WITH (FORCE)`).catch((error) =>
        log(`could not drop ${stack.database}: ${error}`),
      );
    }
    log(`cleaned up: children stopped, Redis keys and databases ${DATABASE_PREFIX}* removed`);
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

  /** Creates a stack's database, starts its admin app and gateway, and configures them. */
  const startStack = async (stack) => {
    await adminQuery(`CREATE DATABASE "${stack.database}"`);
    stack.ports = { admin: await freePort(), 'inbound-gateway': await freePort() };
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      SECRETS_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      DATABASE_URL: stack.databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: stack.queuePrefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY,
      ADMIN_PORT: String(stack.ports.admin),
      INBOUND_PORT: String(stack.ports['inbound-gateway']),
      // Not the default 9464: another gateway on this host may hold it.
      INBOUND_METRICS_PORT: String(await freePort()),
      // Rebuild the statistics rollup soon after each seeding.
      STATS_ROLLUP_INTERVAL_SECONDS: '2',
    };
    // One app first: it creates the database schema; the other then boots on it.
    for (const [app, name] of [
      ['admin', stack.adminName],
      ['inbound-gateway', stack.gatewayName],
    ]) {
      const child = spawnApp(app, env);
      child.name = name;
      children.push(child);
      sampler.add(name, child.pid);
      await waitForReady(stack.ports[app], `${name} ready`);
    }
    stack.db = new pg.Client({ connectionString: stack.databaseUrl });
    await stack.db.connect();
    stack.admin = api(stack.ports.admin);

    const post = adminPoster(stack.ports.admin, ADMIN_API_KEY);
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
    stack.inboundQueue = new Queue('inbound-events', {
      connection: { url: REDIS_URL },
      prefix: stack.queuePrefix,
    });
    await stack.inboundQueue.pause();
    const [{ id: tenantId }] = await sqlOn(stack, `SELECT id FROM tenants WHERE name = 'default'`);
    stack.tenantId = tenantId;
  };

  const seed = async (stack) => {
    const started = Date.now();
    await seedScale({
      databaseUrl: stack.databaseUrl,
      tenant: 'default',
      events: stack.size,
      deliveries: stack.size,
      quiet: true,
      days: 28,
    });
    log(
      `${stack.label}: seeded ${stack.size} events and ${stack.size} deliveries in ${(Date.now() - started) / 1000} s`,
    );
  };

  const waitForRollup = async (stack) => {
    log(`${stack.label}: waiting for the statistics rollup`);
    await waitFor(
      async () => {
        const rows = await sqlOn(
          stack,
          `SELECT count(*)::int AS n FROM stats_rollup_watermarks WHERE rolled_up_to > '-infinity'`,
        );
        return rows[0].n === 2 ? true : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 1000, what: 'the statistics rollup' },
    );
  };

  const deepCursor = async (stack, table, timeColumn) => {
    const [row] = await sqlOn(
      stack,
      `SELECT ${timeColumn} AS at, id FROM ${table} WHERE tenant_id = $1
        ORDER BY ${timeColumn} DESC, id DESC OFFSET $2 LIMIT 1`,
      [stack.tenantId, Math.floor(stack.size * 0.9)],
    );
    return Buffer.from(JSON.stringify([new Date(row.at).toISOString(), row.id])).toString(
      'base64url',
    );
  };

  const storedCounts = async (stack) =>
    (
      await sqlOn(
        stack,
        `SELECT (SELECT count(*) FROM inbound_events)::int AS events,
                (SELECT count(*) FROM deliveries)::int AS deliveries,
                (SELECT count(*) FROM delivery_attempts)::int AS attempts`,
      )
    )[0];

  /**
   * Each admin query, sample by sample, on the two stacks in turn (which one goes first
   * alternates), so both sizes see the same machine.
   */
  const measureAdmin = async () => {
    const from30 = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const paths = {};
    for (const stack of both) {
      const events = await deepCursor(stack, 'inbound_events', 'received_at');
      const deliveries = await deepCursor(stack, 'deliveries', 'created_at');
      paths[stack.key] = [
        ['GET /inbound-events (first page)', '/inbound-events?limit=50'],
        ['GET /inbound-events (deep cursor, 90%)', `/inbound-events?limit=50&cursor=${events}`],
        ['GET /deliveries (first page)', '/deliveries?limit=50'],
        ['GET /deliveries (deep cursor, 90%)', `/deliveries?limit=50&cursor=${deliveries}`],
        ['GET /stats (default 7 days)', '/stats'],
        ['GET /stats (30 days: every seeded row)', `/stats?from=${from30}`],
      ];
    }
    const latencies = { small: {}, large: {} };
    const statsTotals = {};
    const queryCount = paths.small.length;
    for (let q = 0; q < queryCount; q++) {
      const name = paths.small[q][0];
      const samples = { small: [], large: [] };
      for (let i = 0; i < 3 + opts.repeat; i++) {
        for (const stack of i % 2 === 0 ? both : [...both].reverse()) {
          const { ms, body } = await stack.admin(paths[stack.key][q][1]);
          if (name.startsWith('GET /stats (30')) {
            statsTotals[stack.key] = { inbound: body.inbound.total, outbound: body.outbound.total };
          } else if (body.items && body.items.length !== 50) {
            throw new Error(`${stack.label}: ${name} answered ${body.items.length} items`);
          }
          if (i >= 3) samples[stack.key].push(ms);
        }
      }
      for (const stack of both) {
        const l = {
          medianMs: median(samples[stack.key]),
          p95Ms: percentile(samples[stack.key], 0.95),
        };
        latencies[stack.key][name] = l;
        log(
          `${stack.label}: ${name}: median ${l.medianMs.toFixed(1)} ms, p95 ${l.p95Ms.toFixed(1)} ms`,
        );
      }
    }
    return { latencies, statsTotals };
  };

  /** One accept window (after a warm-up) on one stack, with its CPU account. */
  const acceptWindow = async (stack) => {
    const port = stack.ports['inbound-gateway'];
    await cannon(port, '/webhooks/scale/accept', opts.warmupSeconds);
    sampler.cut();
    const result = await cannon(port, '/webhooks/scale/accept', opts.duration);
    const window = sampler.cut();
    const cpuMs = Object.entries(window.cpu.byGroupCores)
      .filter(([group]) => [stack.gatewayName, 'postgres (bench db)'].includes(group))
      .reduce((sum, [, cores]) => sum + cores * window.cpu.seconds * 1000, 0);
    result.cpu = describeCpu(window.cpu, cpus().length, result.accepted);
    log(
      `${stack.label}: accept ${Math.round(result.accepted / result.durationS)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; ${result.cpu}`,
    );
    return { ...result, cpuMs };
  };

  /**
   * Accept in the order small, large, large, small: a drift in the machine's load that is
   * linear over the four windows weighs the same on both sizes.
   */
  const measureAccept = async () => {
    const windows = { small: [], large: [] };
    for (const stack of [stacks.small, stacks.large, stacks.large, stacks.small]) {
      windows[stack.key].push(await acceptWindow(stack));
    }
    return Object.fromEntries(
      Object.entries(windows).map(([key, list]) => {
        const accepted = list.reduce((sum, w) => sum + w.accepted, 0);
        const seconds = list.reduce((sum, w) => sum + w.durationS, 0);
        const cpuMs = list.reduce((sum, w) => sum + w.cpuMs, 0);
        return [
          key,
          {
            accepted,
            reqPerSec: accepted / seconds,
            cpuMsPerRequest: cpuMs / accepted,
            latencyMs: {
              p50: Math.max(...list.map((w) => w.latencyMs.p50)),
              p99: Math.max(...list.map((w) => w.latencyMs.p99)),
            },
            windows: list,
          },
        ];
      }),
    );
  };

  try {
    const startedAt = new Date();
    const loadAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
    log(
      `scale run ${stamp}: ${opts.small} and ${opts.large} stored events and deliveries, two stacks measured in alternation`,
    );
    for (const stack of both) await startStack(stack);
    for (const stack of both) await seed(stack);
    for (const stack of both) await waitForRollup(stack);
    const seeded = {
      small: await storedCounts(stacks.small),
      large: await storedCounts(stacks.large),
    };
    const { latencies, statsTotals } = await measureAdmin();
    const accept = await measureAccept();
    const stored = {
      small: await storedCounts(stacks.small),
      large: await storedCounts(stacks.large),
    };

    const rows = [];
    const ratio = (a, b) => (b > 0 ? a / b : NaN);
    const acceptRatio = ratio(accept.large.reqPerSec, accept.small.reqPerSec);
    rows.push({
      measure: `inbound accept, req/s (${opts.connections} conns, 2 × ${opts.duration} s)`,
      small: fmt(accept.small.reqPerSec),
      large: fmt(accept.large.reqPerSec),
      ratio: fmt(acceptRatio, 2),
      target: 'large ≥ 0.80× small',
      met: acceptRatio >= 0.8 ? 'yes' : 'NO',
    });
    rows.push({
      measure: 'inbound accept, p50/p99 ms (worse of the two windows)',
      small: `${accept.small.latencyMs.p50}/${accept.small.latencyMs.p99}`,
      large: `${accept.large.latencyMs.p50}/${accept.large.latencyMs.p99}`,
      ratio: fmt(ratio(accept.large.latencyMs.p99, accept.small.latencyMs.p99), 2),
      target: '—',
      met: '—',
    });
    const cpuRatio = ratio(accept.large.cpuMsPerRequest, accept.small.cpuMsPerRequest);
    rows.push({
      measure: 'inbound accept, CPU ms per request (gateway + its Postgres)',
      small: fmt(accept.small.cpuMsPerRequest, 2),
      large: fmt(accept.large.cpuMsPerRequest, 2),
      ratio: fmt(cpuRatio, 2),
      target: 'large ≤ 1.20× small',
      met: cpuRatio <= 1.2 ? 'yes' : 'NO',
    });
    for (const name of Object.keys(latencies.small)) {
      const a = latencies.small[name];
      const b = latencies.large[name];
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
        { key: 'small', title: stacks.small.label },
        { key: 'large', title: stacks.large.label },
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
      `two stacks (a database, a gateway and an admin app each), one per size, measured in alternation so that both see the same machine`,
      `stored rows when the admin queries ran: ${JSON.stringify(seeded.small)} and ${JSON.stringify(seeded.large)}; after the accept windows: ${JSON.stringify(stored.small)} and ${JSON.stringify(stored.large)} (settled rows spread over 28 days by bench/seed-scale.mjs, plus the accepted events); /stats over 30 days counted ${statsTotals.large.inbound} events and ${statsTotals.large.outbound} deliveries at the large size`,
      `admin queries: each ${opts.repeat} times after 3 warm-ups, one request at a time, alternating between the sizes sample by sample; wall-clock time of the HTTP request`,
      `inbound accept: four ${opts.duration} s windows (each after a ${opts.warmupSeconds} s warm-up) in the order small, large, large, small; req/s and CPU per request over both windows of a size`,
      ...[
        ...accept.small.windows.map((w) => ['small', w]),
        ...accept.large.windows.map((w) => ['large', w]),
      ].map(([key, w]) => `CPU during an accept window at the ${key} size: ${w.cpu}`),
    ];
    process.stdout.write(`\n${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    writeFileSync(
      `${ROOT}bench/results/scale-latest.json`,
      `${JSON.stringify({ startedAt, options: opts, table: rows, notes, seeded, stored, latencies, accept, rss: sampler.final() }, null, 2)}\n`,
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
