import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { waitFor } from './wait';

/**
 * A throwaway Redis Cluster for a test: `size` `redis-server --cluster-enabled yes`
 * primaries on loopback ports (each port and its cluster bus port, +10000, free when
 * picked), joined with `redis-cli --cluster create`, no persistence, in a temporary
 * directory. `stop` kills exactly these servers and removes the directory.
 */
export interface RedisClusterHandle {
  ports: number[];
  /** The REDIS_CLUSTER_NODES value: `127.0.0.1:P1,127.0.0.1:P2,…`. */
  nodes: string;
  /** A plain (non-cluster) connection to one node, for CLUSTER and SCAN commands. */
  node(port: number): Redis;
  /** The port of the primary that serves `slot`. */
  ownerOf(slot: number): Promise<number>;
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port P in 20000–29999 with P and P + 10000 (the cluster bus) both free. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port) || taken.has(port + 10000) || taken.has(port - 10000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

function stopServer(child: ChildProcess): Promise<void> {
  const gone = child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
  if (gone) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startRedisCluster(size = 3): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-redis-cluster-'));
  const servers: ChildProcess[] = [];
  const clients: Redis[] = [];
  const ports: number[] = [];
  let spawnError: Error | undefined; // redis-server missing (ENOENT), say
  const stop = async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map(stopServer));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < size; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      ports.push(port);
      const server = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '5000',
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--daemonize', 'no',
        ], // prettier-ignore
        { stdio: 'ignore' },
      );
      servers.push(server);
      server.once('error', (error) => {
        spawnError = error;
      });
    }
    const node = (port: number) => {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        maxRetriesPerRequest: 1,
        lazyConnect: true,
      });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    };
    for (const port of ports) {
      await waitFor(
        async () => {
          if (spawnError) throw new Error(`redis-server: ${spawnError.message}`);
          return (await node(port).ping()) === 'PONG' ? true : undefined;
        },
        { timeoutMs: 10_000, what: `redis-server on ${port}` },
      );
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster', 'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas', '0',
        '--cluster-yes',
      ], // prettier-ignore
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    }
    for (const port of ports) {
      const client = node(port);
      await waitFor(
        async () =>
          String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok')
            ? true
            : undefined,
        { timeoutMs: 20_000, what: `cluster_state:ok on ${port}` },
      );
    }
    const probe = node(ports[0]);
    return {
      ports,
      nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
      node,
      async ownerOf(slot: number) {
        const ranges = (await probe.call('CLUSTER', 'SLOTS')) as Array<
          [number, number, [string, number, ...unknown[]], ...unknown[]]
        >;
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no node serves slot ${slot}`);
        return Number(range[2][1]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
