import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Every Redis connection Hookgate opens is made here: the apps' own clients (health,
 * rejected budget, rate limits, configuration-change pub/sub) and BullMQ's. One server by
 * default (`REDIS_URL`); with `REDIS_CLUSTER_NODES` set, every one of them is an ioredis
 * `Cluster` over those nodes instead, with `REDIS_URL` only lending its user, password
 * and `rediss:` (TLS) to each node (docs/scaling.md, "Redis Cluster").
 *
 * Workers need `maxRetriesPerRequest: null` (blocking commands); producers on a request
 * path should fail fast instead of hanging, so they get a bounded retry count and an
 * offline queue that does not grow without bound.
 */
export type RedisRole = 'worker' | 'producer';

/** One Redis server or a Redis Cluster: what every Hookgate Redis client is. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: the variables every app's validated config carries. */
export interface RedisTarget {
  REDIS_URL: string;
  /** `host:port` of cluster nodes, comma-separated (any of them; all are discovered). */
  REDIS_CLUSTER_NODES?: string;
}

/** Options a caller may lay over the role's (the admin's fail-fast queue connection). */
export type RedisExtraOptions = Pick<
  RedisOptions,
  'maxRetriesPerRequest' | 'enableOfflineQueue' | 'lazyConnect' | 'connectTimeout'
>;

const CLUSTER_NODE = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** `REDIS_CLUSTER_NODES` as a list of nodes; throws on an entry that is not `host:port`. */
export function parseClusterNodes(list: string): Array<{ host: string; port: number }> {
  const nodes = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const match = CLUSTER_NODE.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) {
        throw new Error(`REDIS_CLUSTER_NODES: "${entry}" is not host:port`);
      }
      return { host: match[1].replace(/^\[|\]$/g, ''), port };
    });
  if (nodes.length === 0) throw new Error('REDIS_CLUSTER_NODES: no node given');
  return nodes;
}

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and the next
 * `}` when it is not empty, else the whole key. Every BullMQ key of a queue starts with
 * the prefix, so a prefix with a hash tag keeps each queue's keys in one slot.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

function roleOptions(role: RedisRole): RedisOptions {
  return role === 'worker'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
}

/** Cluster options: the node list's, with REDIS_URL's credentials and TLS on each node. */
function clusterOptions(url: string, options: RedisOptions): ClusterOptions {
  const parsed = new URL(url);
  const { enableOfflineQueue, enableReadyCheck, lazyConnect, ...node } = options;
  return {
    enableOfflineQueue,
    enableReadyCheck,
    lazyConnect,
    redisOptions: {
      ...node,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

export function createRedisConnection(
  target: RedisTarget,
  role: RedisRole,
  extra: RedisExtraOptions = {},
): RedisClient {
  const options: RedisOptions = { lazyConnect: false, ...roleOptions(role), ...extra };
  const connection: RedisClient = target.REDIS_CLUSTER_NODES
    ? new Cluster(
        parseClusterNodes(target.REDIS_CLUSTER_NODES),
        clusterOptions(target.REDIS_URL, options),
      )
    : new Redis(target.REDIS_URL, options);
  // ioredis reconnects by itself; callers and readiness checks see the failures. Without a
  // listener every reconnect attempt would print an "unhandled error event" line.
  connection.on('error', () => undefined);
  return connection;
}

/**
 * BullMQ's `connection` option for an app's queues and workers. One server: options, from
 * which BullMQ opens (and closes) its own connections as before. A cluster: a `Cluster`
 * that the queues share and the workers duplicate (BullMQ cannot build a Cluster from
 * options); its owner closes it with {@link closeQueueConnection} after the queues.
 */
export function queueConnection(
  target: RedisTarget,
  extra: RedisExtraOptions = {},
): ({ url: string } & RedisExtraOptions) | Cluster {
  if (!target.REDIS_CLUSTER_NODES) return { url: target.REDIS_URL, ...extra };
  // Worker options (maxRetriesPerRequest: null), which BullMQ requires of a client
  // that its workers duplicate for their blocking commands.
  return createRedisConnection(target, 'worker', extra) as Cluster;
}

/**
 * Closes what {@link queueConnection} opened itself (a cluster); options need nothing.
 * QUIT first, so commands already sent are answered; a cluster that does not answer
 * within `timeoutMs` is dropped.
 */
export async function closeQueueConnection(connection: object, timeoutMs = 2000): Promise<void> {
  if (!(connection instanceof Cluster) || connection.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connection.quit().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  // (status changes while QUIT runs)
  if ((connection.status as string) !== 'end') connection.disconnect();
}
