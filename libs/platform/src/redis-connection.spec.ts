import Redis, { Cluster } from 'ioredis';
import { BaseConfig } from './config/base-config';
import { ConfigValidationError, loadConfig } from './config/load-config';
import {
  closeQueueConnection,
  createRedisConnection,
  hashTagOf,
  parseClusterNodes,
  queueConnection,
} from './redis-connection';

describe('parseClusterNodes', () => {
  it('reads host:port entries, spaces and empty entries aside', () => {
    expect(parseClusterNodes(' 127.0.0.1:7001, redis-2.internal:7002,,[::1]:7003 ')).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: 'redis-2.internal', port: 7002 },
      { host: '::1', port: 7003 },
    ]);
  });

  it.each(['127.0.0.1', '127.0.0.1:', ':7001', '127.0.0.1:70000', 'redis://a:1', ' , '])(
    'refuses %p',
    (list) => {
      expect(() => parseClusterNodes(list)).toThrow(/REDIS_CLUSTER_NODES/);
    },
  );
});

describe('hashTagOf', () => {
  it.each([
    ['{hookgate}', 'hookgate'],
    ['{hookgate}:inbound-events:wait', 'hookgate'],
    ['pre{a}{b}', 'a'],
    ['hookgate', undefined],
    ['{}hookgate', undefined],
    ['{hookgate', undefined],
  ])('%p hashes %p', (key, tag) => {
    expect(hashTagOf(key)).toBe(tag);
  });
});

describe('createRedisConnection', () => {
  const opened: Array<Redis | Cluster> = [];
  afterEach(() => opened.splice(0).forEach((client) => client.disconnect()));

  it('opens one server from REDIS_URL when no cluster is named', () => {
    const client = createRedisConnection({ REDIS_URL: 'redis://127.0.0.1:1' }, 'producer', {
      lazyConnect: true,
    });
    opened.push(client);
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({ port: 1, maxRetriesPerRequest: 1 });
  });

  it('opens a Cluster over REDIS_CLUSTER_NODES with REDIS_URL lending credentials and TLS', () => {
    const client = createRedisConnection(
      { REDIS_URL: 'rediss://user:p%40ss@ignored:6379', REDIS_CLUSTER_NODES: 'a:7001,b:7002' },
      'worker',
      { lazyConnect: true },
    ) as Cluster;
    opened.push(client);
    expect(client).toBeInstanceOf(Cluster);
    expect(client.options.enableReadyCheck).toBe(true);
    expect(client.options.redisOptions).toMatchObject({
      maxRetriesPerRequest: null,
      username: 'user',
      password: 'p@ss',
      tls: {},
    });
  });

  it('keeps the producer fail-fast on a cluster (no offline queue, one retry)', () => {
    const client = createRedisConnection(
      { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: 'a:7001' },
      'producer',
      { lazyConnect: true },
    ) as Cluster;
    opened.push(client);
    expect(client.options.enableOfflineQueue).toBe(false);
    expect(client.options.redisOptions).toMatchObject({
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    expect(client.options.redisOptions).not.toHaveProperty('password');
  });
});

describe('queueConnection', () => {
  it('gives BullMQ options for one server, as before', () => {
    expect(queueConnection({ REDIS_URL: 'redis://h:1' }, { maxRetriesPerRequest: 1 })).toEqual({
      url: 'redis://h:1',
      maxRetriesPerRequest: 1,
    });
  });

  it('gives BullMQ a Cluster its workers can duplicate (maxRetriesPerRequest null)', async () => {
    const connection = queueConnection({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: '127.0.0.1:1',
    }) as Cluster;
    expect(connection).toBeInstanceOf(Cluster);
    expect(connection.options.redisOptions?.maxRetriesPerRequest).toBeNull();
    // Nothing answers on port 1: QUIT fails and the cluster is dropped.
    await closeQueueConnection(connection, 500);
    expect(['disconnecting', 'end']).toContain(connection.status);
  });
});

describe('BaseConfig on a cluster', () => {
  const env = { REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002' };

  it('accepts a hash-tagged QUEUE_PREFIX', () => {
    const config = loadConfig(BaseConfig, { ...env, QUEUE_PREFIX: '{hookgate}' });
    expect(config.REDIS_CLUSTER_NODES).toBe(env.REDIS_CLUSTER_NODES);
  });

  it('refuses a QUEUE_PREFIX without a hash tag, naming the variable', () => {
    expect(() => loadConfig(BaseConfig, { ...env, QUEUE_PREFIX: 'hookgate' })).toThrow(
      /QUEUE_PREFIX \("hookgate"\): must hold a hash tag/,
    );
    // The default prefix has none either: a cluster needs it set.
    expect(() => loadConfig(BaseConfig, env)).toThrow(ConfigValidationError);
  });

  it('refuses a node list that is not host:port', () => {
    expect(() =>
      loadConfig(BaseConfig, { REDIS_CLUSTER_NODES: 'redis://a:1', QUEUE_PREFIX: '{h}' }),
    ).toThrow(/REDIS_CLUSTER_NODES \("redis:\/\/a:1"\): must be host:port/);
  });

  it('leaves a plain prefix alone without a cluster', () => {
    expect(loadConfig(BaseConfig, { QUEUE_PREFIX: 'hookgate' }).QUEUE_PREFIX).toBe('hookgate');
  });
});
