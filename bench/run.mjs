#!/usr/bin/env node
// `npm run bench` (SPEC §10): builds, then starts the real apps from dist/ on loopback
// against the local Postgres and Redis, drives them, and prints one table (also written to
// bench/results/latest.json). Each Hookgate figure is measured in the same run as its
// hand-written baseline (bench/baselines/). Everything it creates is removed at the end: the
// child processes, the database `hookgate_bench_<stamp>` (unless --keep) and the Redis keys
// under its queue prefix. See docs/performance.md for the method and its limits.
//
//   node bench/run.mjs [--quick] [--keep] [--no-vacuum] [--cpu-prof] [--soak] [--soak-seconds S] [--events N] [--deliveries M]
//                      [--duration S] [--connections C]
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  ROOT,
  RssSampler,
  assertLoopback,
  describeCpu,
  fmt,
  forkChild,
  formatTable,
  parseFlags,
  freePort,
  isAlive,
  log,
  sleep,
  spawnApp,
  stopChild,
  waitFor,
  waitForProgress,
} from './support.mjs';
import { runSoak, soakTable } from './soak.mjs';
import { e2eNotes, e2eRows, scenarioInboundE2E, scenarioOutboundE2E } from './e2e.mjs';

// ---------------------------------------------------------------------------------------
// Options

const USAGE =
  'node bench/run.mjs [--quick] [--keep] [--no-vacuum] [--cpu-prof] [--soak] [--soak-seconds S] [--events N] [--deliveries M] [--duration S] [--connections C] [--only accept|processing|outbound|outbound-e2e|inbound-e2e|e2e] [--no-e2e]\n  e2e options: [--e2e-deliveries N] [--e2e-hold S] [--e2e-step S] [--e2e-start-rate R] [--e2e-max-rate R] [--e2e-paced-rate R] [--e2e-paced-seconds S]\n  node bench/run.mjs --scale [--quick] [--small N] [--large N] [--keep]   (10k vs 1M stored rows, see bench/scale.mjs)\n';

function benchArgs(argv) {
  const flags = parseFlags(argv, {
    booleans: ['quick', 'keep', 'no-vacuum', 'cpu-prof', 'soak', 'help', 'no-e2e'],
    numbers: [
      'soak-seconds',
      'events',
      'deliveries',
      'duration',
      'connections',
      'e2e-deliveries',
      'e2e-hold',
      'e2e-step',
      'e2e-start-rate',
      'e2e-max-rate',
      'e2e-paced-rate',
      'e2e-paced-seconds',
    ],
    choices: {
      only: ['accept', 'processing', 'outbound', 'outbound-e2e', 'inbound-e2e', 'e2e'],
    },
  });
  if (flags.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = flags.quick ?? false;
  return {
    quick,
    keep: flags.keep ?? false,
    noVacuum: flags['no-vacuum'] ?? false,
    cpuProf: flags['cpu-prof'] ?? false,
    // --soak-seconds implies --soak.
    soak: (flags.soak ?? false) || flags['soak-seconds'] !== undefined,
    soakSeconds: flags['soak-seconds'] ?? 300,
    events: flags.events ?? (quick ? 5_000 : 50_000),
    deliveries: flags.deliveries ?? (quick ? 2_000 : 20_000),
    duration: flags.duration ?? 10,
    connections: flags.connections ?? 64,
    only: flags.only,
    warmupSeconds: 2,
    // End to end (bench/e2e.mjs): N deliver jobs (+ N/10 publish × 10), and the inbound
    // rate ladder (steps of S seconds from a start rate, ×1.3) then a hold of H seconds.
    e2e: !(flags['no-e2e'] ?? false),
    e2eDeliveries: roundTo10(flags['e2e-deliveries'] ?? (quick ? 2_000 : 5_000)),
    e2eHoldSeconds: flags['e2e-hold'] ?? (quick ? 15 : 60),
    e2eStepSeconds: flags['e2e-step'] ?? (quick ? 4 : 5),
    e2eStartRate: flags['e2e-start-rate'] ?? 400,
    e2eMaxRate: flags['e2e-max-rate'] ?? 20_000,
    e2ePacedRate: flags['e2e-paced-rate'] ?? 1_000,
    e2ePacedSeconds: flags['e2e-paced-seconds'] ?? (quick ? 5 : 8),
  };
}

function roundTo10(n) {
  return Math.max(10, Math.round(n / 10) * 10);
}

// `npm run bench -- --scale`: the scale scenario (10k vs 1M stored rows), run on its own.
if (process.argv.includes('--scale')) {
  const { runScale } = await import('./scale.mjs');
  process.exit(await runScale(process.argv.slice(2).filter((arg) => arg !== '--scale')));
}

// `npm run bench -- --redis-cluster`: a short accept + outbound run on a three-node Redis
// Cluster and on one redis-server, run on its own (bench/cluster.mjs).
if (process.argv.includes('--redis-cluster')) {
  const { runCluster } = await import('./cluster.mjs');
  process.exit(await runCluster(process.argv.slice(2).filter((arg) => arg !== '--redis-cluster')));
}

const opts = benchArgs(process.argv.slice(2));
const stamp = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${process.pid}`;
const DATABASE = `hookgate_bench_${stamp}`;
const QUEUE_PREFIX = `hgbench_${stamp}`;
const PG_ADMIN_URL =
  process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = (() => {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  return url.toString();
})();
const ADMIN_API_KEY = `bench-admin-${randomBytes(12).toString('hex')}`;
const INBOUND_SECRET = `bench-github-secret-${randomBytes(8).toString('hex')}`;
// Same tuning for Hookgate and the baselines (the apps' defaults unless overridden).
const DB_POOL_SIZE = process.env.DB_POOL_SIZE ?? '10';
const DISPATCHER_CONCURRENCY = process.env.DISPATCHER_CONCURRENCY ?? '64';

assertLoopback(PG_ADMIN_URL, 'BENCH_PG_ADMIN_URL');
assertLoopback(REDIS_URL, 'BENCH_REDIS_URL');

// ---------------------------------------------------------------------------------------
// Run state, torn down by cleanup() whatever happens

const children = [];
const queues = [];
let db;
let sampler;
let vacuum;
let cleaning;
let interrupted = false;

async function cleanup() {
  cleaning ??= (async () => {
    sampler?.stop();
    await vacuum?.stop();
    await Promise.allSettled(children.map((child) => stopChild(child)));
    await Promise.allSettled(queues.map((queue) => queue.close()));
    await db?.end().catch(() => undefined);
    if (opts.keep) {
      log(`--keep: database ${DATABASE_URL} and Redis keys ${QUEUE_PREFIX}:* left in place`);
      return;
    }
    const deleted = await deleteRedisKeys().catch((error) => {
      log(`could not delete Redis keys ${QUEUE_PREFIX}:*: ${error}`);
      return 0;
    });
    await dropDatabase().catch((error) => log(`could not drop ${DATABASE}: ${error}`));
    log(
      `cleaned up: children stopped, ${deleted} Redis keys deleted, database ${DATABASE} dropped`,
    );
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    interrupted = true;
    void cleanup().finally(() => process.exit(130));
  });
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function dropDatabase() {
  await adminQuery(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
}

async function deleteRedisKeys() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

function queue(name) {
  const q = new Queue(name, { connection: { url: REDIS_URL }, prefix: QUEUE_PREFIX });
  queues.push(q);
  return q;
}

/** Fails the run as soon as a child dies that was not asked to stop. */
function assertChildrenAlive() {
  for (const child of children) {
    if (!isAlive(child) && !child.stopping) {
      throw new Error(`${child.name} exited unexpectedly:\n${child.output()}`);
    }
  }
}

async function sql(text, params) {
  assertChildrenAlive();
  return (await db.query(text, params)).rows;
}

/**
 * --cpu-prof: the apps preload bench/cpu-profiler.cjs, and each SIGWINCH starts or stops a
 * CPU profile. `profile(app, label, work)` profiles one scenario window of one app and
 * leaves bench/results/profiles/<app>-<label>.cpuprofile (bench/profile-summary.mjs reads it).
 */
const PROFILE_DIR = `${ROOT}bench/results/profiles`;
const profileCounts = {};
async function profile(app, label, work) {
  const proc = opts.cpuProf ? children.find((child) => child.name === app) : undefined;
  if (!proc) return work();
  proc.child.kill('SIGWINCH');
  try {
    return await work();
  } finally {
    proc.child.kill('SIGWINCH');
    profileCounts[app] = (profileCounts[app] ?? 0) + 1;
    const written = `${PROFILE_DIR}/${app}-${profileCounts[app]}.cpuprofile`;
    await waitFor(() => (existsSync(written) ? true : undefined), {
      timeoutMs: 30_000,
      what: `profile ${written}`,
    });
    renameSync(written, `${PROFILE_DIR}/${app}-${label}.cpuprofile`);
    log(`profile written: bench/results/profiles/${app}-${label}.cpuprofile`);
  }
}

/**
 * Production Postgres runs autovacuum; a server with it off (this project's CI machines set
 * `autovacuum = off`) never gathers planner statistics for the bench's fast-growing tables,
 * and the record lookups of upserts then scan every record of the model. Unless
 * --no-vacuum, the bench stands in for it with autovacuum's own rules: every 20 s (a third
 * of the default `autovacuum_naptime`), each table of its database whose counters in
 * `pg_stat_user_tables` pass the server's autovacuum thresholds is vacuumed and/or
 * analyzed, one table at a time, throttled like autovacuum (cost delay 2 ms, limit 200):
 *   vacuum  when dead rows      > autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × reltuples
 *           or inserted rows    > autovacuum_vacuum_insert_threshold + autovacuum_vacuum_insert_scale_factor × reltuples
 *   analyze when modified rows  > autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × reltuples
 * Its cost is Postgres CPU inside the measured windows.
 */
const AUTOVACUUM_DUE_SQL = `
  WITH settings AS (
    SELECT current_setting('autovacuum_vacuum_threshold')::float8 AS vt,
           current_setting('autovacuum_vacuum_scale_factor')::float8 AS vs,
           current_setting('autovacuum_vacuum_insert_threshold')::float8 AS it,
           current_setting('autovacuum_vacuum_insert_scale_factor')::float8 AS "is",
           current_setting('autovacuum_analyze_threshold')::float8 AS at,
           current_setting('autovacuum_analyze_scale_factor')::float8 AS "as")
  SELECT s.relid::regclass::text AS rel,
         (s.n_dead_tup > vt + vs * greatest(c.reltuples, 0)
           OR (it >= 0 AND s.n_ins_since_vacuum > it + "is" * greatest(c.reltuples, 0))) AS vacuum,
         s.n_mod_since_analyze > at + "as" * greatest(c.reltuples, 0) AS analyze
    FROM pg_stat_user_tables s
    JOIN pg_class c ON c.oid = s.relid
   CROSS JOIN settings
   WHERE s.schemaname = 'public'
   ORDER BY s.relid`;

async function startVacuumStandIn() {
  const [{ autovacuum }] = await sql(`SELECT current_setting('autovacuum') AS autovacuum`);
  const state = {
    autovacuum,
    standIn: false,
    passes: 0,
    vacuums: 0,
    analyzes: 0,
    totalMs: 0,
    async stop() {},
  };
  if (autovacuum === 'on' || opts.noVacuum) return state;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`SET vacuum_cost_delay = '2ms'`);
  await client.query(`SET vacuum_cost_limit = 200`);
  let stopped = false;
  const pass = async () => {
    const due = (await client.query(AUTOVACUUM_DUE_SQL)).rows.filter((t) => t.vacuum || t.analyze);
    state.passes += 1;
    for (const table of due) {
      if (stopped) return;
      const started = Date.now();
      const command = table.vacuum ? (table.analyze ? 'VACUUM (ANALYZE)' : 'VACUUM') : 'ANALYZE';
      await client.query(`${command} ${table.rel}`);
      state.totalMs += Date.now() - started;
      if (table.vacuum) state.vacuums += 1;
      if (table.analyze) state.analyzes += 1;
    }
  };
  let running;
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch((error) => log(`autovacuum stand-in failed: ${error}`))
      .finally(() => (running = undefined));
  }, 20_000);
  state.standIn = true;
  state.stop = async () => {
    stopped = true;
    clearInterval(timer);
    await running;
    await client.end().catch(() => undefined);
  };
  log(
    "autovacuum is off on this server: every 20 s the bench vacuums/analyzes the tables that pass autovacuum's thresholds, as a stand-in (throttled like autovacuum)",
  );
  return state;
}

// ---------------------------------------------------------------------------------------
// Apps and the admin API

async function startApps(sinkPort) {
  const ports = {
    admin: await freePort(),
    'inbound-gateway': await freePort(),
    'outbound-dispatcher': await freePort(),
  };
  // Where each app serves /metrics: the gateway on its own listener, not its webhook port.
  const metricsPorts = { ...ports, 'inbound-gateway': await freePort() };
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
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    ADMIN_PORT: String(ports.admin),
    INBOUND_PORT: String(ports['inbound-gateway']),
    INBOUND_METRICS_PORT: String(metricsPorts['inbound-gateway']),
    DISPATCHER_PORT: String(ports['outbound-dispatcher']),
  };
  for (const name of [
    'DB_POOL_SIZE',
    'DB_PREPARED_STATEMENTS',
    'INBOUND_WORKER_CONCURRENCY',
    'INBOUND_WRITER_THREAD',
    'DISPATCHER_CONCURRENCY',
    'OUTBOUND_MAX_SOCKETS',
    'RECONCILE_INTERVAL_SECONDS',
  ]) {
    if (process.env[name]) env[name] = process.env[name];
  }
  const apps = {};
  const nodeArgs = opts.cpuProf ? ['--require', `${ROOT}bench/cpu-profiler.cjs`] : [];
  if (opts.cpuProf) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }
  for (const name of Object.keys(ports)) {
    apps[name] = spawnApp(
      name,
      opts.cpuProf ? { ...env, BENCH_PROFILE_DIR: PROFILE_DIR, BENCH_APP_NAME: name } : env,
      nodeArgs,
    );
    children.push(apps[name]);
    sampler.add(name, apps[name].pid);
  }
  await Promise.all(
    Object.entries(ports).map(([name, port]) =>
      waitFor(
        async () => {
          assertChildrenAlive();
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return res.status === 200 ? true : undefined;
        },
        { timeoutMs: 90_000, what: `${name} ready on 127.0.0.1:${port}` },
      ),
    ),
  );
  log(`apps ready (sink on 127.0.0.1:${sinkPort})`);
  return { apps, ports, metricsPorts };
}

function adminApi(port) {
  return async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };
}

async function created(api, path, body) {
  const res = await api('POST', path, body);
  if (res.status !== 201) {
    throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

const payloadPath = (path) => ({ kind: 'payload', path });

/** The handlers and endpoints of the run, created through the admin API. */
async function configure(api, sinkPort) {
  await created(api, '/handlers', {
    code: 'bench-accept',
    name: 'bench: accept (one rule, done)',
    direction: 'inbound',
    executionMode: 'rules',
    rules: [{ sequence: 10, name: 'accept', conditions: [], action: 'done' }],
  });
  await created(api, '/handlers', {
    code: 'bench-issues',
    name: 'bench: GitHub issues (3 rules, upsert)',
    direction: 'inbound',
    executionMode: 'rules',
    rules: [
      {
        sequence: 10,
        name: 'opened issues',
        conditions: [
          { path: 'action', operator: '=', value: 'opened' },
          { source: 'headers', path: 'X-GitHub-Event', operator: '=', value: 'issues' },
        ],
        action: 'upsert_record',
        targetModel: 'bench_issues',
        lookups: [{ field: 'number', source: payloadPath('issue.number') }],
        assignments: [
          { field: 'number', source: payloadPath('issue.number') },
          { field: 'title', source: payloadPath('issue.title') },
          { field: 'state', source: { kind: 'literal', value: 'open' } },
        ],
      },
      {
        sequence: 20,
        name: 'closed issues',
        conditions: [{ path: 'action', operator: 'in', value: ['closed', 'deleted'] }],
        action: 'upsert_record',
        targetModel: 'bench_issues',
        lookups: [{ field: 'number', source: payloadPath('issue.number') }],
        assignments: [
          { field: 'number', source: payloadPath('issue.number') },
          { field: 'state', source: payloadPath('action'), transform: 'uppercase' },
        ],
      },
      { sequence: 30, name: 'everything else', conditions: [], action: 'done' },
    ],
  });
  const signature = { mode: 'hmac', preset: 'github', secret: INBOUND_SECRET };
  const accept = await created(api, '/inbound-endpoints', {
    name: 'bench accept',
    path: 'bench/accept',
    handler: 'bench-accept',
    signature,
  });
  const issues = await created(api, '/inbound-endpoints', {
    name: 'bench issues',
    path: 'bench/issues',
    handler: 'bench-issues',
    signature,
  });

  const outboundBody = {
    code: 'bench-sink',
    name: 'bench sink',
    state: 'active',
    method: 'POST',
    bodyMode: 'json',
    targetHost: `http://127.0.0.1:${sinkPort}`,
    targetPath: '/hooks',
    retryPolicy: { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 5 },
  };
  let outbound;
  let outboundVia = 'admin API';
  const res = await api('POST', '/outbound-endpoints', outboundBody);
  if (res.status === 201) {
    outbound = res.body;
  } else if (res.status === 404) {
    // An admin build without the outbound-endpoints API: the same row, written directly.
    outboundVia = 'SQL (admin API has no /outbound-endpoints)';
    const [row] = await sql(
      `INSERT INTO outbound_endpoints
         (tenant_id, code, name, state, method, body_mode, target_host, target_path, retry_policy)
       SELECT id, $1::text, $2::text, 'active', 'POST', 'json', $3::text, $4::text, $5::jsonb
         FROM tenants WHERE name = 'default'
       RETURNING id, code`,
      [
        outboundBody.code,
        outboundBody.name,
        outboundBody.targetHost,
        outboundBody.targetPath,
        outboundBody.retryPolicy,
      ],
    );
    outbound = row;
  } else {
    throw new Error(`POST /outbound-endpoints answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const [{ id: tenantId }] = await sql(`SELECT id FROM tenants WHERE name = 'default'`);
  return { accept, issues, outbound: { ...outbound, code: 'bench-sink' }, outboundVia, tenantId };
}

// ---------------------------------------------------------------------------------------
// Load

const PADDING = 'Steps to reproduce: open the dashboard, click export, wait. '.repeat(8);

/** A GitHub `issues` webhook body, ~1 KB; a tenth are `edited` (the handler's third rule). */
function issueBody(i) {
  const action = i % 10 === 9 ? 'edited' : i % 2 === 0 ? 'opened' : 'closed';
  const number = (i % 20_000) + 1;
  return JSON.stringify({
    action,
    issue: {
      number,
      title: `Bench issue ${number}`,
      state: action === 'closed' ? 'closed' : 'open',
      labels: [{ name: 'bug' }],
      user: { login: 'octocat', id: 1 },
      body: PADDING,
    },
    repository: { id: 1296269, full_name: 'octocat/Hello-World', private: false },
    sender: { login: 'octocat', id: 1, type: 'User' },
  });
}

/**
 * issueBody(i) repeats every 20,000 requests, so each body is built and signed once, as
 * bytes, before any load: the load generator shares the machine with what it measures, and
 * a JSON.stringify and an HMAC per request were a sixth of its CPU.
 */
const BODY_PERIOD = 20_000;
const signedBodies = new Map();

function signedBodiesFor(secret) {
  let bodies = signedBodies.get(secret);
  if (!bodies) {
    bodies = Array.from({ length: BODY_PERIOD }, (_, i) => {
      const body = Buffer.from(issueBody(i));
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      return { body, signature };
    });
    signedBodies.set(secret, bodies);
  }
  return bodies;
}

/** autocannon request: a GitHub body, a unique X-GitHub-Delivery and the body's signature. */
function githubRequest(path, secret, counter) {
  const bodies = signedBodiesFor(secret);
  return {
    method: 'POST',
    path,
    setupRequest(request) {
      const { body, signature } = bodies[counter.next++ % BODY_PERIOD];
      request.body = body;
      request.headers = {
        ...request.headers,
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/bench',
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signature,
      };
      return request;
    },
    onResponse(status) {
      counter.statuses[status] = (counter.statuses[status] ?? 0) + 1;
    },
  };
}

/** One autocannon run; `amount` (a fixed count) or `duration` seconds. */
function cannon({ port, path, duration, amount, rate, connections = opts.connections }) {
  const counter = { next: 0, statuses: {} };
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        ...(amount ? { amount } : { duration }),
        ...(rate ? { overallRate: rate } : {}),
        timeout: 30,
        requests: [githubRequest(path, INBOUND_SECRET, counter)],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          sent: counter.next,
          statuses: counter.statuses,
          accepted: counter.statuses[202] ?? 0,
          durationS: result.duration,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          latencyMs: {
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            max: result.latency.max,
            mean: result.latency.mean,
          },
        });
      },
    );
  });
}

/** Warm-up (not counted), then the measured run; req/s counts 202 answers only. */
async function acceptRun(name, port, path) {
  log(`inbound accept: ${name}: ${opts.warmupSeconds} s warm-up, then ${opts.duration} s`);
  const warmup = await cannon({ port, path, duration: opts.warmupSeconds });
  sampler.cut();
  // autocannon times each request on this process's event loop, so time the loop spends
  // busy before it reads an answer counts as latency: report it next to the p99.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const run = await cannon({ port, path, duration: opts.duration });
  loop.disable();
  const window = sampler.cut();
  const reqPerSec = run.accepted / run.durationS;
  const ms = (ns) => Math.round(ns / 1e5) / 10;
  const loadGeneratorDelayMs = {
    p50: ms(loop.percentile(50)),
    p99: ms(loop.percentile(99)),
    max: ms(loop.max),
  };
  log(
    `inbound accept: ${name}: ${Math.round(reqPerSec)} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, statuses ${JSON.stringify(run.statuses)}, errors ${run.errors}; load generator loop delay p50/p99/max ${loadGeneratorDelayMs.p50}/${loadGeneratorDelayMs.p99}/${loadGeneratorDelayMs.max} ms`,
  );
  return { ...run, warmupAccepted: warmup.accepted, reqPerSec, window, loadGeneratorDelayMs };
}

async function eventCounts(endpointId) {
  const [row] = await sql(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE state = 'done')::int AS done,
            count(*) FILTER (WHERE state IN ('error', 'dead_letter'))::int AS failed,
            max(processed_at) AS last_processed
       FROM inbound_events WHERE endpoint_id = $1`,
    [endpointId],
  );
  return row;
}

/** Resumes the paused inbound queue and times the worker until every event is settled. */
async function drainInbound(inboundQueue, endpointId, expected, what) {
  const start = Date.now();
  await inboundQueue.resume();
  const end = await waitForProgress(
    async () => {
      const counts = await eventCounts(endpointId);
      return { done: counts.done + counts.failed, total: expected, counts };
    },
    { what },
  );
  const seconds = (new Date(end.counts.last_processed).getTime() - start) / 1000;
  return {
    events: expected,
    done: end.counts.done,
    failed: end.counts.failed,
    seconds,
    eventsPerSec: expected / seconds,
  };
}

function deliveryPayloads(count) {
  return Array.from({ length: count }, (_, i) => ({
    id: `inv_${i}`,
    type: 'invoice.paid',
    amount: 1000 + i,
    currency: 'EUR',
    customer: { id: `cus_${i % 500}`, email: `customer${i % 500}@example.test` },
    lines: [
      { sku: 'plan-pro', quantity: 1, amount: 900 },
      { sku: 'seats', quantity: 2, amount: 100 + (i % 7) },
    ],
  }));
}

async function deliveryCounts(table, endpointId) {
  const [row] = await sql(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE state = 'queued')::int AS queued,
            count(*) FILTER (WHERE state = 'done')::int AS done,
            count(*) FILTER (WHERE state IN ('error', 'dead_letter', 'canceled'))::int AS failed,
            max(created_at) AS last_created,
            max(completed_at) AS last_completed
       FROM ${table} WHERE endpoint_id = $1`,
    [endpointId],
  );
  return row;
}

// ---------------------------------------------------------------------------------------
// Scenarios

async function scenarioAccept(ctx) {
  const { ports, endpoints, inboundQueue } = ctx;
  // The gateway's own worker is paused (its queue, in Redis) so that both sides measure the
  // receive path alone: the baseline has no worker at all.
  await inboundQueue.pause();
  const hookgate = await profile('inbound-gateway', 'accept', () =>
    acceptRun('hookgate', ports['inbound-gateway'], endpoints.accept.url),
  );
  const stored = await eventCounts(endpoints.accept.id);
  const acknowledged = hookgate.accepted + hookgate.warmupAccepted;
  if (stored.total < acknowledged) {
    throw new Error(`hookgate acknowledged ${acknowledged} events but stored ${stored.total}`);
  }

  // Drain the backlog before the baseline runs, so the gateway's worker is idle by then.
  log(`draining ${stored.total} accepted events (1-rule handler)`);
  sampler.cut();
  const drain = await drainInbound(
    inboundQueue,
    endpoints.accept.id,
    stored.total,
    'accept backlog',
  );
  drain.window = sampler.cut();

  await db.query(`CREATE TABLE bench_baseline_events (LIKE inbound_events INCLUDING ALL)`);
  const receiver = await forkChild(
    'baseline-inbound-receiver',
    `${ROOT}bench/baselines/inbound-receiver.mjs`,
    {
      PATH: process.env.PATH ?? '',
      DATABASE_URL,
      REDIS_URL,
      QUEUE_PREFIX,
      DB_POOL_SIZE,
      BASELINE_QUEUE: 'baseline-inbound-events',
      BASELINE_TABLE: 'bench_baseline_events',
      BASELINE_SECRET: INBOUND_SECRET,
      BASELINE_TENANT_ID: ctx.tenantId,
      BASELINE_ENDPOINT_ID: endpoints.accept.id,
      BASELINE_ENDPOINT_PATH: 'bench/accept',
    },
  );
  children.push(receiver);
  sampler.add(receiver.name, receiver.pid);
  const baseline = await acceptRun('baseline', receiver.ready.port, '/webhooks/bench/accept');
  const [{ n: baselineStored }] = await sql(`SELECT count(*)::int AS n FROM bench_baseline_events`);
  if (baselineStored < baseline.accepted + baseline.warmupAccepted) {
    throw new Error(`baseline acknowledged more events than it stored (${baselineStored})`);
  }
  sampler.seal(receiver.name);
  await stopChild(receiver);
  return {
    hookgate: { ...hookgate, stored: stored.total },
    baseline: { ...baseline, stored: baselineStored },
    drain,
  };
}

async function scenarioProcessing(ctx) {
  const { ports, endpoints, inboundQueue } = ctx;
  const n = opts.events;
  // Events arrive through the gateway (signed, verified, stored, enqueued) while its queue
  // is paused; the measured part starts when the queue resumes and ends at the last
  // `processed_at` of the N events.
  await inboundQueue.pause();
  log(`inbound processing: posting ${n} signed events (worker paused)`);
  const posted = await cannon({
    port: ports['inbound-gateway'],
    path: endpoints.issues.url,
    amount: n,
  });
  const before = await eventCounts(endpoints.issues.id);
  if (before.total !== posted.accepted) {
    throw new Error(`posted ${posted.accepted} accepted events, found ${before.total} stored`);
  }
  log(`inbound processing: ${before.total} received; resuming the worker`);
  sampler.cut();
  const result = await profile('inbound-gateway', 'processing', () =>
    drainInbound(inboundQueue, endpoints.issues.id, before.total, 'inbound processing'),
  );
  const window = sampler.cut();
  const [{ records }] = await sql(
    `SELECT count(*)::int AS records FROM records WHERE model = 'bench_issues'`,
  );
  log(
    `inbound processing: ${Math.round(result.eventsPerSec)} events/s (${result.done} done, ${result.failed} failed, ${records} records)`,
  );
  return { ...result, posting: posted, records, window };
}

async function scenarioOutbound(ctx) {
  const { config, sink } = ctx;
  const m = opts.deliveries;
  const payloads = deliveryPayloads(m);
  const endpointId = config.outbound.id;

  // Hookgate: M `deliver` requests published with the real client while both outbound
  // queues are paused; intake (request -> delivery row) and send (row -> 200 -> attempt
  // logged -> done) are timed one after the other.
  const requests = queue('outbound-requests');
  const deliveries = queue('outbound-deliveries');
  await requests.pause();
  await deliveries.pause();
  const require = createRequire(import.meta.url);
  const { HookgatePublisher } = require(`${ROOT}dist/libs/messaging/src/index.js`);
  const publisher = new HookgatePublisher({ redisUrl: REDIS_URL, prefix: QUEUE_PREFIX });
  log(`outbound: publishing ${m} deliver requests with HookgatePublisher (dispatcher paused)`);
  for (let i = 0; i < m; i += 500) {
    await Promise.all(
      payloads.slice(i, i + 500).map((payload, j) =>
        publisher.deliver({
          endpoint: config.outbound.code,
          payload,
          idempotencyKey: `bench-${i + j}`,
        }),
      ),
    );
  }
  await publisher.close();
  await sink.ask('reset');
  sampler.cut();
  const intakeStart = Date.now();
  await requests.resume();
  const intakeEnd = await waitForProgress(
    async () => {
      const counts = await deliveryCounts('deliveries', endpointId);
      return { done: counts.total, total: m, counts };
    },
    { what: 'outbound intake' },
  );
  const intake = {
    deliveries: m,
    seconds: (new Date(intakeEnd.counts.last_created).getTime() - intakeStart) / 1000,
  };
  intake.perSec = m / intake.seconds;
  intake.window = sampler.cut();
  log(`outbound intake: ${Math.round(intake.perSec)} requests/s -> queued deliveries`);

  const sendStart = Date.now();
  const sent = await profile('outbound-dispatcher', 'send', async () => {
    await deliveries.resume();
    return waitForProgress(
      async () => {
        const counts = await deliveryCounts('deliveries', endpointId);
        return { done: counts.done + counts.failed, total: m, counts };
      },
      { what: 'outbound send (hookgate)' },
    );
  });
  const hookgateWindow = sampler.cut();
  const [{ attempts }] = await sql(
    `SELECT count(*)::int AS attempts FROM delivery_attempts
      WHERE endpoint_id = $1 AND outcome = 'success'`,
    [endpointId],
  );
  const [durations] = await sql(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99
       FROM delivery_attempts WHERE endpoint_id = $1`,
    [endpointId],
  );
  const hookgateSink = (await sink.ask('count')).requests;
  const hookgate = {
    deliveries: m,
    done: sent.counts.done,
    failed: sent.counts.failed,
    successAttemptsLogged: attempts,
    sinkRequests: hookgateSink,
    seconds: (new Date(sent.counts.last_completed).getTime() - sendStart) / 1000,
    attemptDurationMs: { p50: Number(durations.p50), p99: Number(durations.p99) },
    window: hookgateWindow,
  };
  hookgate.perSec = m / hookgate.seconds;
  log(
    `outbound send: hookgate ${Math.round(hookgate.perSec)} deliveries/s (${hookgate.done} done, ${attempts} attempts logged, sink saw ${hookgateSink})`,
  );

  // Baseline: the same payloads as rows of a copy of `deliveries`, one job each, a raw
  // BullMQ worker at the dispatcher's concurrency.
  await db.query(`CREATE TABLE bench_baseline_deliveries (LIKE deliveries INCLUDING ALL)`);
  const rows = [];
  for (let i = 0; i < m; i += 1000) {
    const chunk = payloads.slice(i, i + 1000);
    rows.push(
      ...(await sql(
        `INSERT INTO bench_baseline_deliveries
           (tenant_id, endpoint_id, endpoint_code, state, payload, idempotency_key, next_attempt_at)
         SELECT $1::uuid, $2::uuid, 'bench-baseline', 'queued', p, 'bench-' || ($3::int + o - 1), now()
           FROM unnest($4::jsonb[]) WITH ORDINALITY AS t(p, o)
         RETURNING id, payload`,
        [config.tenantId, endpointId, i, chunk.map((p) => JSON.stringify(p))],
      )),
    );
  }
  const baselineQueue = queue('baseline-deliveries');
  await baselineQueue.pause();
  for (let i = 0; i < rows.length; i += 1000) {
    await baselineQueue.addBulk(
      rows.slice(i, i + 1000).map((row) => ({
        name: 'send',
        data: { id: row.id, payload: row.payload },
        opts: { jobId: row.id, removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
  const worker = await forkChild(
    'baseline-outbound-worker',
    `${ROOT}bench/baselines/outbound-worker.mjs`,
    {
      PATH: process.env.PATH ?? '',
      DATABASE_URL,
      REDIS_URL,
      QUEUE_PREFIX,
      DB_POOL_SIZE,
      BASELINE_QUEUE: 'baseline-deliveries',
      BASELINE_TABLE: 'bench_baseline_deliveries',
      BASELINE_TARGET_URL: `http://127.0.0.1:${sink.ready.port}/hooks`,
      BASELINE_CONCURRENCY: DISPATCHER_CONCURRENCY,
    },
  );
  children.push(worker);
  sampler.add(worker.name, worker.pid);
  await sink.ask('reset');
  sampler.cut();
  const baselineStart = Date.now();
  await baselineQueue.resume();
  const baselineEnd = await waitForProgress(
    async () => {
      const counts = await deliveryCounts('bench_baseline_deliveries', endpointId);
      return { done: counts.done + counts.failed, total: m, counts };
    },
    { what: 'outbound send (baseline)' },
  );
  const baselineWindow = sampler.cut();
  const baseline = {
    deliveries: m,
    done: baselineEnd.counts.done,
    failed: baselineEnd.counts.failed,
    sinkRequests: (await sink.ask('count')).requests,
    seconds: (new Date(baselineEnd.counts.last_completed).getTime() - baselineStart) / 1000,
    window: baselineWindow,
  };
  baseline.perSec = m / baseline.seconds;
  log(`outbound send: baseline ${Math.round(baseline.perSec)} deliveries/s`);
  sampler.seal(worker.name);
  await stopChild(worker);
  return { intake, hookgate, baseline };
}

/** What bench/e2e.mjs uses of this runner: its state, its helpers and its settings. */
function e2eHarness(ctx) {
  return {
    ...ctx,
    opts,
    sql,
    queue,
    sampler,
    profile,
    cannon,
    log,
    ROOT,
    REDIS_URL,
    QUEUE_PREFIX,
    INBOUND_SECRET,
    DISPATCHER_CONCURRENCY,
    api: adminApi(ctx.ports.admin),
    async fork(name, file, env) {
      const proc = await forkChild(name, file, {
        PATH: process.env.PATH ?? '',
        DATABASE_URL,
        REDIS_URL,
        QUEUE_PREFIX,
        DB_POOL_SIZE,
        ...env,
      });
      children.push(proc);
      sampler.add(proc.name, proc.pid);
      return proc;
    },
    async stop(proc) {
      sampler.seal(proc.name);
      await stopChild(proc);
    },
  };
}

/** The end-to-end scenarios (`which`: 'outbound-e2e', 'inbound-e2e' or 'e2e' for both). */
async function scenariosE2E(ctx, which) {
  const h = e2eHarness(ctx);
  const results = {};
  if (which !== 'inbound-e2e') results.outboundE2E = await scenarioOutboundE2E(h);
  if (which !== 'outbound-e2e') results.inboundE2E = await scenarioInboundE2E(h);
  return results;
}

async function reconcilerActivity(metricsPorts) {
  const lines = [];
  for (const app of ['inbound-gateway', 'outbound-dispatcher']) {
    const text = await (await fetch(`http://127.0.0.1:${metricsPorts[app]}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('hookgate_reconciler_actions_total{')) lines.push(`${app}: ${line}`);
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------
// Report

const ratio = (a, b) => (b > 0 ? `${fmt(a / b, 2)}×` : 'n/a');
const yesNo = (ok) => (ok ? 'yes' : 'NO');

function report(results) {
  const { accept, processing, outbound, rss, e2e } = results;
  const hwm = (name) => rss[name]?.vmHwmMb ?? NaN;
  const appPeaks = ['inbound-gateway', 'admin', 'outbound-dispatcher'].map(hwm);
  const acceptRatio = accept.hookgate.reqPerSec / accept.baseline.reqPerSec;
  const sendRatio = outbound.hookgate.perSec / outbound.baseline.perSec;
  const rows = [
    {
      scenario: `inbound accept, req/s (${opts.connections} conns, ${opts.duration} s, 202 only)`,
      hookgate: fmt(accept.hookgate.reqPerSec),
      baseline: fmt(accept.baseline.reqPerSec),
      ratio: ratio(accept.hookgate.reqPerSec, accept.baseline.reqPerSec),
      latency: `HG ${accept.hookgate.latencyMs.p50}/${accept.hookgate.latencyMs.p99} · BL ${accept.baseline.latencyMs.p50}/${accept.baseline.latencyMs.p99}`,
      rss: `gateway ${accept.hookgate.window.rssMb['inbound-gateway']} · BL ${accept.baseline.window.rssMb['baseline-inbound-receiver']}`,
      target: '≥ 1.50× BL, p99 ≤ 50 ms',
      met: yesNo(acceptRatio >= 1.5 && accept.hookgate.latencyMs.p99 <= 50),
    },
    {
      scenario: `inbound processing to done, 3 rules + upsert, events/s (N=${processing.events})`,
      hookgate: fmt(processing.eventsPerSec),
      baseline: '—',
      ratio: '—',
      latency: '—',
      rss: `gateway ${processing.window.rssMb['inbound-gateway']}`,
      target: '≥ 2,000 events/s',
      met: yesNo(processing.eventsPerSec >= 2000 && processing.failed === 0),
    },
    {
      scenario: `outbound send, queued → done + attempt log, deliveries/s (M=${outbound.hookgate.deliveries})`,
      hookgate: fmt(outbound.hookgate.perSec),
      baseline: fmt(outbound.baseline.perSec),
      ratio: ratio(outbound.hookgate.perSec, outbound.baseline.perSec),
      latency: `HG attempt ${fmt(outbound.hookgate.attemptDurationMs.p50)}/${fmt(outbound.hookgate.attemptDurationMs.p99)}`,
      rss: `dispatcher ${outbound.hookgate.window.rssMb['outbound-dispatcher']} · BL ${outbound.baseline.window.rssMb['baseline-outbound-worker']}`,
      target: '≥ 1.50× BL',
      met: yesNo(sendRatio >= 1.5 && outbound.hookgate.failed === 0),
    },
    ...(e2e ? e2eRows(e2e, { ratio, yesNo }) : []),
    {
      scenario: `(info) inbound drain after accept, 1 rule → done, events/s (${accept.drain.events})`,
      hookgate: fmt(accept.drain.eventsPerSec),
      baseline: '—',
      ratio: '—',
      latency: '—',
      rss: '',
      target: '—',
      met: '—',
    },
    {
      scenario: `(info) outbound intake, deliver request → queued row, /s (M=${outbound.intake.deliveries})`,
      hookgate: fmt(outbound.intake.perSec),
      baseline: '—',
      ratio: '—',
      latency: '—',
      rss: '',
      target: '—',
      met: '—',
    },
    {
      scenario: 'peak RSS per app, whole run (VmHWM, MB)',
      hookgate: `gateway ${hwm('inbound-gateway')} · admin ${hwm('admin')} · dispatcher ${hwm('outbound-dispatcher')}`,
      baseline: `receiver ${hwm('baseline-inbound-receiver')} · worker ${hwm('baseline-outbound-worker')}`,
      ratio: '—',
      latency: '—',
      rss: `sink ${hwm('sink')}`,
      target: '≤ 250 MB per app',
      met: yesNo(appPeaks.every((peak) => peak <= 250)),
    },
  ];
  const columns = [
    { key: 'scenario', title: 'scenario' },
    { key: 'hookgate', title: 'Hookgate' },
    { key: 'baseline', title: 'baseline' },
    { key: 'ratio', title: 'ratio' },
    { key: 'latency', title: 'p50/p99 ms' },
    { key: 'rss', title: 'peak RSS MB (scenario) / CPU ms per item' },
    { key: 'target', title: 'SPEC §10 target' },
    { key: 'met', title: 'met' },
  ];
  return { rows, table: formatTable(columns, rows) };
}

// ---------------------------------------------------------------------------------------
// Soak (--soak): bench/soak.mjs drives mixed load and judges RSS growth

const SOAK_INBOUND_RATE = 100;

async function soak(ctx) {
  const { ports, metricsPorts, endpoints, config } = ctx;
  const require = createRequire(import.meta.url);
  const { HookgatePublisher } = require(`${ROOT}dist/libs/messaging/src/index.js`);
  const publisher = new HookgatePublisher({ redisUrl: REDIS_URL, prefix: QUEUE_PREFIX });
  const api = adminApi(ports.admin);
  const pids = Object.fromEntries(children.map((child) => [child.name, child.pid]));
  log(
    `soak: ${opts.soakSeconds} s of ${SOAK_INBOUND_RATE} webhooks/s (3-rule handler, worker running), 50 deliveries/s, admin lists every 2 s`,
  );
  let result;
  try {
    result = await runSoak({
      seconds: opts.soakSeconds,
      pids,
      ports,
      metricsPorts,
      log,
      inboundLoad: (seconds) =>
        cannon({
          port: ports['inbound-gateway'],
          path: endpoints.issues.url,
          duration: seconds,
          rate: SOAK_INBOUND_RATE,
          connections: 16,
        }),
      publish: (i) =>
        publisher.deliver({
          endpoint: config.outbound.code,
          payload: { id: `soak_${i}`, amount: i },
          idempotencyKey: `soak-${i}`,
        }),
      adminGet: (path) => api('GET', path),
      counts: async () => {
        const [row] = await sql(
          `SELECT (SELECT count(*) FROM inbound_events WHERE state IN ('received', 'processing'))::int AS "eventsPending",
                  (SELECT count(*) FROM inbound_events WHERE state = 'done')::int AS "eventsDone",
                  (SELECT count(*) FROM deliveries WHERE state IN ('queued', 'processing'))::int AS "deliveriesPending",
                  (SELECT count(*) FROM deliveries WHERE state = 'done')::int AS "deliveriesDone"`,
        );
        return row;
      },
    });
  } finally {
    await publisher.close();
  }
  const table = soakTable(result, formatTable);
  const notes = [
    `growth rule: ${result.growthRule}; samples every ${result.intervalMs / 1000} s`,
    `load: ${result.inbound.accepted} webhooks accepted (statuses ${JSON.stringify(result.inbound.statuses)}), ${result.outboundPublished} deliveries published, ${result.adminCalls} admin calls (${result.adminFailures} failed)`,
    `after the load: ${result.drained ? 'backlog drained' : 'backlog NOT drained'} (${JSON.stringify(result.finalCounts)})`,
  ];
  process.stdout.write(`\n${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(`${ROOT}bench/results/soak.json`, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote bench/results/soak.json; soak ${result.failed ? 'FAILED' : 'passed'}`);
  return result.failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// Main

/**
 * One scenario run alone (`--only`): a line per side with its CPU account, then the ratio.
 * `rate` and `items` read a side's figure and item count; `head` starts its line.
 */
function printSides(result, rate, items, head) {
  const cores = cpus().length;
  for (const [what, side] of [
    ['Hookgate', result.hookgate],
    ['baseline', result.baseline],
  ]) {
    process.stdout.write(
      `${head(what, side)}; CPU ${describeCpu(side.window.cpu, cores, items(side))}\n`,
    );
  }
  process.stdout.write(`ratio ${ratio(rate(result.hookgate), rate(result.baseline))}\n`);
}

async function main() {
  for (const app of ['admin', 'inbound-gateway', 'outbound-dispatcher']) {
    if (!existsSync(`${ROOT}dist/apps/${app}/src/main.js`)) {
      throw new Error(`dist/apps/${app}/src/main.js is missing: run \`npm run build\` first`);
    }
  }
  const startedAt = new Date();
  const loadAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
  log(
    `run ${stamp}: database ${DATABASE}, queue prefix ${QUEUE_PREFIX}, ${opts.quick ? 'quick, ' : ''}N=${opts.events}, M=${opts.deliveries}`,
  );
  sampler = new RssSampler({ database: DATABASE });
  await adminQuery(`CREATE DATABASE "${DATABASE}"`);

  const sink = await forkChild('sink', `${ROOT}bench/sink.mjs`, { PATH: process.env.PATH ?? '' });
  children.push(sink);
  sampler.add('sink', sink.pid);
  const { ports, metricsPorts } = await startApps(sink.ready.port);
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  vacuum = await startVacuumStandIn();
  const api = adminApi(ports.admin);
  const config = await configure(api, sink.ready.port);
  log(`configured (outbound endpoint via ${config.outboundVia})`);
  const inboundQueue = queue('inbound-events');
  const ctx = {
    ports,
    metricsPorts,
    endpoints: { accept: config.accept, issues: config.issues },
    inboundQueue,
    tenantId: config.tenantId,
    config,
    sink,
  };

  if (opts.soak) {
    exitCode = await soak(ctx);
    return;
  }
  if (opts.only === 'accept') {
    // Iterating on the receive path: the accept scenario alone, with its CPU account.
    const accept = await scenarioAccept(ctx);
    printSides(
      accept,
      (side) => side.reqPerSec,
      (side) => side.accepted,
      (what, side) =>
        `inbound accept, ${what}: ${fmt(side.reqPerSec)} req/s, p50/p99 ${side.latencyMs.p50}/${side.latencyMs.p99} ms (load generator loop delay p99 ${side.loadGeneratorDelayMs.p99} ms)`,
    );
    return;
  }
  if (opts.only === 'processing') {
    // Iterating on the inbound worker: the processing scenario alone, with its CPU account.
    const processing = await scenarioProcessing(ctx);
    process.stdout.write(
      `inbound processing: ${fmt(processing.eventsPerSec)} events/s; CPU ${describeCpu(processing.window.cpu, cpus().length, processing.events)}\n`,
    );
    return;
  }
  if (opts.only === 'outbound-e2e' || opts.only === 'inbound-e2e' || opts.only === 'e2e') {
    // Iterating on a whole path: the end-to-end scenario(s) alone, their rows and notes.
    const e2e = await scenariosE2E(ctx, opts.only);
    const rows = e2eRows(e2e, { ratio, yesNo });
    const columns = [
      'scenario',
      'hookgate',
      'baseline',
      'ratio',
      'latency',
      'rss',
      'target',
      'met',
    ];
    const titles = [
      'scenario',
      'Hookgate',
      'baseline',
      'ratio',
      'p50/p99 ms',
      'CPU ms per item',
      'target',
      'met',
    ];
    const table = formatTable(
      columns.map((key, i) => ({ key, title: titles[i] })),
      rows,
    );
    const notes = e2eNotes(e2e, cpus().length);
    process.stdout.write(`\n${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    writeFileSync(
      `${ROOT}bench/results/e2e-latest.json`,
      `${JSON.stringify({ startedAt: startedAt.toISOString(), options: opts, rows, notes, e2e }, null, 2)}\n`,
    );
    return;
  }
  if (opts.only === 'outbound') {
    // Iterating on the dispatcher: the outbound scenario alone, with its CPU account.
    const outbound = await scenarioOutbound(ctx);
    printSides(
      outbound,
      (side) => side.perSec,
      (side) => side.deliveries,
      (what, side) => `outbound send, ${what}: ${fmt(side.perSec)} deliveries/s`,
    );
    return;
  }
  const accept = await scenarioAccept(ctx);
  const processing = await scenarioProcessing(ctx);
  const outbound = await scenarioOutbound(ctx);
  const e2e = opts.e2e ? await scenariosE2E(ctx, 'e2e') : undefined;
  const reconciler = await reconcilerActivity(metricsPorts);
  for (const name of ['inbound-gateway', 'admin', 'outbound-dispatcher', 'sink']) {
    sampler.seal(name);
  }
  const rss = sampler.final();

  const results = { accept, processing, outbound, e2e, rss };
  const { rows, table } = report(results);
  const [{ version: pgVersion }] = await sql(`SELECT version()`);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: pgVersion,
    loadAverageAtStart: loadAtStart,
  };
  const notes = [
    `${startedAt.toISOString()} · ${machine.cpus} cores (${machine.cpuModel}) · Node ${machine.node}; load average at start ${loadAtStart.join(' ')}; apps, Postgres, Redis, sink and load generator share this machine`,
    `inbound accept: autocannon ${opts.connections} connections, ${opts.warmupSeconds} s warm-up then ${opts.duration} s; ~1 KB GitHub issues bodies, unique X-GitHub-Delivery, X-Hub-Signature-256; req/s counts 202 answers; both sides commit the row before answering; the gateway's worker is paused (queue paused in Redis) during the run, the baseline has none`,
    `inbound processing: ${processing.events} events posted through the gateway while its queue was paused, then timed from resume to the last processed_at; ${processing.done} done, ${processing.failed} failed, ${processing.records} records`,
    `outbound: ${outbound.hookgate.deliveries} deliver requests published with HookgatePublisher; intake timed first (outbound-deliveries paused), then send from resume to the last completed_at; ${outbound.hookgate.successAttemptsLogged} success attempts logged; sink saw ${outbound.hookgate.sinkRequests} (Hookgate) and ${outbound.baseline.sinkRequests} (baseline) requests; baseline = BullMQ worker at concurrency ${DISPATCHER_CONCURRENCY}, axios.post + UPDATE`,
    `load generator event-loop delay during inbound accept (autocannon runs in this process, so the delay is inside both sides' latencies): p50/p99/max Hookgate ${accept.hookgate.loadGeneratorDelayMs.p50}/${accept.hookgate.loadGeneratorDelayMs.p99}/${accept.hookgate.loadGeneratorDelayMs.max} ms, baseline ${accept.baseline.loadGeneratorDelayMs.p50}/${accept.baseline.loadGeneratorDelayMs.p99}/${accept.baseline.loadGeneratorDelayMs.max} ms`,
    `reconciler passes during the run: ${reconciler.length ? reconciler.join('; ') : 'none recorded'}`,
    vacuum.standIn
      ? `server autovacuum is off: every 20 s the bench applied autovacuum's thresholds to its tables as a stand-in, throttled like autovacuum (${vacuum.passes} checks, ${vacuum.vacuums} table vacuums, ${vacuum.analyzes} table analyzes, ${fmt(vacuum.totalMs / 1000, 1)} s in total; --no-vacuum to measure without)`
      : `server autovacuum: ${vacuum.autovacuum}${opts.noVacuum ? ' (--no-vacuum: no stand-in, planner statistics may be missing)' : ''}`,
    ...[
      ['inbound accept, Hookgate', accept.hookgate.window, accept.hookgate.accepted],
      ['inbound accept, baseline', accept.baseline.window, accept.baseline.accepted],
      ['inbound drain after accept', accept.drain.window, accept.drain.events],
      ['inbound processing', processing.window, processing.events],
      ['outbound intake', outbound.intake.window, outbound.intake.deliveries],
      ['outbound send, Hookgate', outbound.hookgate.window, outbound.hookgate.deliveries],
      ['outbound send, baseline', outbound.baseline.window, outbound.baseline.deliveries],
    ].map(
      ([what, window, items]) =>
        `CPU cores during ${what}: ${describeCpu(window.cpu, machine.cpus, items)}`,
    ),
    ...(e2e ? e2eNotes(e2e, machine.cpus) : []),
  ];

  process.stdout.write(`\n${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(
    `${ROOT}bench/results/latest.json`,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        options: opts,
        machine,
        database: DATABASE,
        queuePrefix: QUEUE_PREFIX,
        outboundEndpointVia: config.outboundVia,
        vacuum: {
          serverAutovacuum: vacuum.autovacuum,
          standIn: vacuum.standIn,
          passes: vacuum.passes,
          tableVacuums: vacuum.vacuums,
          tableAnalyzes: vacuum.analyzes,
          totalMs: vacuum.totalMs,
        },
        table: rows,
        notes,
        reconciler,
        results,
      },
      null,
      2,
    )}\n`,
  );
  log('wrote bench/results/latest.json');
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  if (!interrupted) log(`failed: ${error?.stack ?? error}`);
} finally {
  await cleanup();
}
await sleep(50);
process.exit(exitCode);
