// The Redis Cluster scenario (`npm run bench -- --redis-cluster`, issue 24): a short accept
// and outbound run of the built apps against a three-node Redis Cluster the bench starts
// (`redis-server --cluster-enabled yes` on loopback, joined with `redis-cli --cluster
// create`), and the same run against one standalone `redis-server` it also starts, so the
// two figures come from the same machine minutes apart. Each target gets its own database,
// admin app, gateway and dispatcher (`REDIS_CLUSTER_NODES` and `QUEUE_PREFIX={hookgate-…}`
// on the cluster):
//   - accept + process: autocannon posts unsigned JSON to an inbound endpoint whose rules
//     handler settles each event (`done`) while the gateway's worker runs: accepted req/s,
//     p50/p99, then events processed per second until every accepted event is done;
//   - outbound: M `deliver` requests published with HookgatePublisher (a Cluster
//     connection on the cluster), timed from the first publish until every delivery is
//     done at a loopback sink: deliveries/s end to end (intake + send);
//   - Redis: CPU (used_cpu_user + used_cpu_sys, summed over the nodes) per accepted event
//     and per delivery, and where the keys ended up (DBSIZE per node: one prefix, one slot,
//     one node).
// Figures on a busy shared machine are indicative only. Prints a table and writes
// bench/results/cluster-latest.json; removes everything it made (children, Redis servers,
// databases) unless --keep.
//
//   node bench/run.mjs --redis-cluster [--duration S] [--connections C] [--deliveries M] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import {
  ROOT,
  assertLoopback,
  fmt,
  forkChild,
  formatTable,
  freePort,
  isAlive,
  log,
  parseFlags,
  sleep,
  spawnApp,
  stopChild,
  adminPoster,
  waitFor,
  waitForReady,
  waitForProgress,
} from './support.mjs';

const require = createRequire(import.meta.url);

function clusterArgs(argv) {
  const flags = parseFlags(argv, {
    booleans: ['keep'],
    numbers: ['duration', 'connections', 'deliveries'],
  });
  return {
    keep: flags.keep ?? false,
    duration: flags.duration ?? 5,
    connections: flags.connections ?? 32,
    deliveries: flags.deliveries ?? 2_000,
  };
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port P in 20000–29999 with P and P + 10000 (a cluster node's bus port) both free. */
async function nodePort(taken) {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port) || taken.has(port + 10000) || taken.has(port - 10000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port pair for a Redis node');
}

/**
 * Starts `size` redis-servers (cluster mode when `cluster`), no persistence, in a temporary
 * directory; with `cluster`, joins them and waits for cluster_state:ok.
 */
async function startRedis(size, cluster, servers) {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-redis-'));
  const taken = new Set();
  const ports = [];
  for (let i = 0; i < size; i++) {
    const port = await nodePort(taken);
    ports.push(port);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
    args.push('--save', '', '--appendonly', 'no', '--daemonize', 'no');
    if (cluster) {
      args.push('--cluster-enabled', 'yes', '--cluster-node-timeout', '5000');
      args.push('--cluster-config-file', join(dir, `nodes-${port}.conf`));
    }
    servers.push({ child: spawn('redis-server', args, { stdio: 'ignore' }), dir });
  }
  const nodes = ports.map((port) => {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  });
  for (const node of nodes) {
    await waitFor(async () => ((await node.ping()) === 'PONG' ? true : undefined), {
      timeoutMs: 10_000,
      what: 'redis-server up',
    });
  }
  if (cluster) {
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`)].concat([
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]),
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create: ${created.stdout}`);
    for (const node of nodes) {
      await waitFor(
        async () =>
          String(await node.call('CLUSTER', 'INFO')).includes('cluster_state:ok')
            ? true
            : undefined,
        { timeoutMs: 20_000, what: 'cluster_state:ok' },
      );
    }
  }
  return { ports, nodes };
}

/** Redis CPU seconds (user + sys) summed over the nodes. */
async function redisCpu(nodes) {
  let total = 0;
  for (const node of nodes) {
    const info = await node.info('cpu');
    for (const field of ['used_cpu_user', 'used_cpu_sys']) {
      total += Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    }
  }
  return total;
}

export async function runCluster(argv) {
  const opts = clusterArgs(argv);
  const stamp = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}_${process.pid}`;
  const PG_ADMIN_URL =
    process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  assertLoopback(PG_ADMIN_URL, 'BENCH_PG_ADMIN_URL');
  const ADMIN_API_KEY = `bench-admin-${randomBytes(12).toString('hex')}`;
  const children = [];
  const servers = [];
  const clients = [];
  const databases = [];

  const adminQuery = async (sql) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  const cleanup = async () => {
    await Promise.allSettled(children.map((child) => stopChild(child)));
    for (const client of clients) client.disconnect();
    if (opts.keep) {
      log(`--keep: databases ${databases.join(', ')} and the Redis servers left running`);
      return;
    }
    for (const { child, dir } of servers) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    for (const database of databases) {
      await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((error) =>
        log(`could not drop ${database}: ${error}`),
      );
    }
    log('cleaned up: children and Redis servers stopped, databases dropped');
  };

  const sink = await forkChild('sink', `${ROOT}bench/sink.mjs`, { PATH: process.env.PATH });
  children.push(sink);
  const sinkUrl = `http://127.0.0.1:${sink.ready.port}`;

  /** One target: its Redis, database and apps; the two scenarios; its figures. */
  const runTarget = async (target) => {
    const cluster = target === 'cluster';
    const redis = await startRedis(cluster ? 3 : 1, cluster, servers);
    clients.push(...redis.nodes);
    const database = `hookgate_cluster_${stamp}_${target}`;
    databases.push(database);
    await adminQuery(`CREATE DATABASE "${database}"`);
    const databaseUrl = new URL(PG_ADMIN_URL);
    databaseUrl.pathname = `/${database}`;
    const prefix = cluster ? `{hookgate-${stamp}}` : `hookgate_${stamp}`;
    const ports = {
      admin: await freePort(),
      'inbound-gateway': await freePort(),
      'outbound-dispatcher': await freePort(),
    };
    const redisEnv = cluster
      ? {
          REDIS_URL: 'redis://127.0.0.1:6379', // credentials only (none here)
          REDIS_CLUSTER_NODES: redis.ports.map((p) => `127.0.0.1:${p}`).join(','),
        }
      : { REDIS_URL: `redis://127.0.0.1:${redis.ports[0]}` };
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      SECRETS_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl.toString(),
      ...redisEnv,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      ADMIN_PORT: String(ports.admin),
      INBOUND_PORT: String(ports['inbound-gateway']),
      INBOUND_METRICS_PORT: String(await freePort()),
      DISPATCHER_PORT: String(ports['outbound-dispatcher']),
    };
    // The admin app first: it creates the schema; the others then boot on it.
    for (const app of ['admin', 'inbound-gateway', 'outbound-dispatcher']) {
      const child = spawnApp(app, env);
      child.name = `${app} (${target})`;
      children.push(child);
      await waitForReady(ports[app], `${child.name} ready`);
    }
    const db = new pg.Client({ connectionString: databaseUrl.toString() });
    await db.connect();
    clients.push({ disconnect: () => db.end().catch(() => undefined) });
    const count = async (text, params) => {
      for (const child of children) {
        if (!isAlive(child) && !child.stopping) {
          throw new Error(`${child.name} exited unexpectedly:\n${child.output()}`);
        }
      }
      return (await db.query(text, params)).rows[0];
    };
    const post = adminPoster(ports.admin, ADMIN_API_KEY);
    await post('/handlers', {
      code: 'cluster-accept',
      name: 'cluster bench: accept',
      direction: 'inbound',
      executionMode: 'rules',
      rules: [{ sequence: 10, name: 'settle', conditions: [], action: 'done' }],
    });
    await post('/inbound-endpoints', {
      name: 'cluster accept',
      path: 'cluster/accept',
      handler: 'cluster-accept',
    });
    const outbound = await post('/outbound-endpoints', {
      code: 'cluster-sink',
      name: 'cluster bench sink',
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      targetHost: sinkUrl,
      targetPath: '/hooks',
    });

    // Accept + process.
    log(`${target}: accept for ${opts.duration} s, ${opts.connections} connections`);
    const cpu0 = await redisCpu(redis.nodes);
    const statuses = {};
    const acceptStarted = Date.now();
    const result = await autocannon({
      url: `http://127.0.0.1:${ports['inbound-gateway']}`,
      connections: opts.connections,
      duration: opts.duration,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          path: '/webhooks/cluster/accept',
          headers: { 'content-type': 'application/json' },
          // A body of its own per request: a repeated body would be answered as a duplicate.
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({
              type: 'bench.event',
              id: randomUUID(),
              padding: 'x'.repeat(600),
            }),
          }),
          onResponse: (status) => (statuses[status] = (statuses[status] ?? 0) + 1),
        },
      ],
    });
    const accepted = statuses[202] ?? 0;
    await waitForProgress(
      async () => {
        const row = await count(
          `SELECT count(*) FILTER (WHERE state = 'done')::int AS done FROM inbound_events`,
        );
        return { done: row.done, total: accepted };
      },
      { what: `${target}: processing` },
    );
    const { last } = await count(`SELECT max(processed_at) AS last FROM inbound_events`);
    const processSeconds = (new Date(last).getTime() - acceptStarted) / 1000;
    const cpu1 = await redisCpu(redis.nodes);

    // Outbound: publish M deliver requests, wait until all are done at the sink.
    log(`${target}: outbound, ${opts.deliveries} deliver requests`);
    const { HookgatePublisher } = require(`${ROOT}dist/libs/messaging/src/index.js`);
    const connection = cluster
      ? new Cluster(
          redis.ports.map((port) => ({ host: '127.0.0.1', port })),
          { redisOptions: { maxRetriesPerRequest: null } },
        )
      : { url: redisEnv.REDIS_URL };
    const publisher = new HookgatePublisher({ connection, prefix });
    const outboundStarted = Date.now();
    for (let i = 0; i < opts.deliveries; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, opts.deliveries - i) }, (_, j) =>
          publisher.deliver({ endpoint: 'cluster-sink', payload: { n: i + j, amount: 1000 } }),
        ),
      );
    }
    const publishSeconds = (Date.now() - outboundStarted) / 1000;
    await waitForProgress(
      async () => {
        const row = await count(
          `SELECT count(*) FILTER (WHERE state = 'done')::int AS done FROM deliveries
            WHERE endpoint_id = $1`,
          [outbound.id],
        );
        return { done: row.done, total: opts.deliveries };
      },
      { what: `${target}: outbound` },
    );
    const { done_at: doneAt } = await count(
      `SELECT max(completed_at) AS done_at FROM deliveries WHERE endpoint_id = $1`,
      [outbound.id],
    );
    const outboundSeconds = (new Date(doneAt).getTime() - outboundStarted) / 1000;
    const cpu2 = await redisCpu(redis.nodes);
    await publisher.close();
    if (cluster) connection.disconnect();
    const keysPerNode = await Promise.all(redis.nodes.map((node) => node.dbsize()));

    for (const app of ['admin', 'inbound-gateway', 'outbound-dispatcher']) {
      await stopChild(children.find((child) => child.name === `${app} (${target})`));
    }
    return {
      target: cluster ? 'Redis Cluster, 3 primaries' : 'one redis-server',
      acceptPerSec: accepted / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      statuses,
      processedPerSec: accepted / processSeconds,
      publishPerSec: opts.deliveries / publishSeconds,
      deliveriesPerSec: opts.deliveries / outboundSeconds,
      redisMsPerEvent: ((cpu1 - cpu0) * 1000) / accepted,
      redisMsPerDelivery: ((cpu2 - cpu1) * 1000) / opts.deliveries,
      keysPerNode: keysPerNode.join(' / '),
      accepted,
    };
  };

  let exitCode = 0;
  try {
    const rows = [];
    for (const target of ['standalone', 'cluster']) rows.push(await runTarget(target));
    const columns = [
      { key: 'target', title: 'Redis' },
      { key: 'accept', title: 'accepted req/s (p50/p99 ms)' },
      { key: 'processed', title: 'events processed/s' },
      { key: 'outbound', title: 'deliveries/s end to end' },
      { key: 'redisCpu', title: 'Redis CPU ms per event / delivery' },
      { key: 'keys', title: 'keys per node' },
    ];
    const table = formatTable(
      columns,
      rows.map((row) => ({
        target: row.target,
        accept: `${fmt(row.acceptPerSec)} (${row.p50}/${row.p99})${Object.keys(row.statuses).some((status) => status !== '202') ? `, statuses ${JSON.stringify(row.statuses)}` : ''}`,
        processed: fmt(row.processedPerSec),
        outbound: fmt(row.deliveriesPerSec),
        redisCpu: `${fmt(row.redisMsPerEvent, 3)} / ${fmt(row.redisMsPerDelivery, 3)}`,
        keys: row.keysPerNode,
      })),
    );
    const machine = `${cpus().length} cores, load ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`;
    process.stdout.write(
      `\nRedis Cluster scenario (${opts.duration} s accept at ${opts.connections} connections, ${opts.deliveries} deliveries; ${machine}; indicative only on a shared machine)\n\n${table}\n`,
    );
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    writeFileSync(
      `${ROOT}bench/results/cluster-latest.json`,
      `${JSON.stringify({ at: new Date().toISOString(), opts, machine, rows }, null, 2)}\n`,
    );
  } catch (error) {
    log(`failed: ${error instanceof Error ? error.stack : error}`);
    exitCode = 1;
  } finally {
    await cleanup();
    await sleep(0);
  }
  return exitCode;
}
