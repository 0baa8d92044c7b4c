import { Cluster } from 'ioredis';
import { HookgatePublisher } from '@app/messaging';
import { query } from './support/database';
import { sinkEndpointBody, whsec } from './support/fixtures';
import { startReadyApp, stopApp, type RunningApp } from './support/processes';
import { startRedisCluster, type RedisClusterHandle } from './support/redis-cluster';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * Scale-out on a real Redis Cluster (docs/scaling.md, "Redis Cluster"): three
 * `redis-server --cluster-enabled yes` primaries started here, and two gateways, two
 * dispatchers and the admin app from dist/ with `REDIS_CLUSTER_NODES` and a hash-tagged
 * `QUEUE_PREFIX`, so every Redis client of theirs is an ioredis Cluster.
 *
 * The prefix is chosen so its slot is served by the third node, not the first one listed:
 * the clients must follow the cluster's slot map. Webhooks go to both gateways in turn and
 * are forwarded as deliveries; a backend publishes more deliveries with HookgatePublisher
 * over a Cluster connection. Counted by id: every accepted event processed once, every
 * delivery sent once with one logged attempt and received by the sink once, both
 * processes of each kind did part of the work. Then: every key of the run sits in the
 * prefix's one slot on its node and none on the others, and deactivating the inbound
 * endpoint reaches both gateways through pub/sub on the cluster (their endpoint cache
 * would otherwise keep it for ten minutes). The admin's queue UI lists the queues.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-redis-cluster-0123456789';
const INBOUND = 160;
const PUBLISHED = 80;

describe('Redis Cluster: two gateways and two dispatchers on a three-node cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  const apps: RunningApp[] = [];
  const metricsPorts = new Map<number, number>();
  let sink: Sink | undefined;
  let publisher: HookgatePublisher | undefined;
  let publisherConnection: Cluster | undefined;

  afterAll(async () => {
    await publisher?.close();
    publisherConnection?.disconnect();
    await Promise.all(apps.map((app) => stopApp(app)));
    await sink?.close();
    await cluster?.stop();
  });

  async function start(
    app: 'admin' | 'inbound-gateway' | 'outbound-dispatcher',
    env: Record<string, string>,
  ): Promise<number> {
    const { port, metricsPort } = await startReadyApp(app, env, apps);
    metricsPorts.set(port, metricsPort);
    return port;
  }

  async function admin(adminPort: number, method: string, path: string, body?: unknown) {
    const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await res.json()) as any;
    expect([200, 201]).toContain(res.status);
    return parsed;
  }

  async function metric(port: number, name: string, label: string): Promise<number> {
    const text = await (
      await fetch(`http://127.0.0.1:${metricsPorts.get(port) ?? port}/metrics`)
    ).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  /** Keys under `pattern` on one node (SCAN sees only the node's own keys). */
  async function keysOn(port: number, pattern: string): Promise<string[]> {
    const node = cluster!.node(port);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys;
  }

  it('processes and delivers everything exactly once, in one slot, with pub/sub across nodes', async () => {
    cluster = await startRedisCluster(3);
    const [first, , third] = cluster.ports;

    // A hash tag whose slot the third node serves.
    const base = `hookgate-${process.env.QUEUE_PREFIX}`;
    let tag = '';
    let slot = -1;
    for (let n = 0; slot < 0; n++) {
      const candidate = `${base}-${n}`;
      const candidateSlot = Number(await cluster.node(first).call('CLUSTER', 'KEYSLOT', candidate));
      if ((await cluster.ownerOf(candidateSlot)) === third)
        [tag, slot] = [candidate, candidateSlot];
    }
    const prefix = `{${tag}}`;

    const env = {
      DATABASE_URL: db(),
      // Only its credentials and scheme count on a cluster; its host is not a node.
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_CLUSTER_NODES: cluster.nodes,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      INBOUND_WORKER_CONCURRENCY: '8',
      DISPATCHER_CONCURRENCY: '8',
      // Only the config-changed announcement can make a gateway drop an endpoint in time.
      ENDPOINT_CACHE_TTL_MS: '600000',
    };
    const adminPort = await start('admin', env);
    const [gateways, dispatchers] = await Promise.all([
      Promise.all([start('inbound-gateway', env), start('inbound-gateway', env)]),
      Promise.all([start('outbound-dispatcher', env), start('outbound-dispatcher', env)]),
    ]);

    sink = await startSink();
    sink.fallback = { status: 200, body: 'ok', delayMs: 10 };
    const code = `cluster-${Date.now().toString(36)}`;
    const signing = { type: 'standard-webhooks', secret: whsec('redis-cluster-secret-0123') };
    await admin(
      adminPort,
      'POST',
      '/outbound-endpoints',
      sinkEndpointBody(code, sink.url, { signing }),
    );
    await admin(
      adminPort,
      'POST',
      '/outbound-endpoints',
      sinkEndpointBody(`${code}-pub`, sink.url, { signing }),
    );
    const handler = await admin(adminPort, 'POST', '/handlers', {
      code: `${code}-h`,
      name: `${code} forward`,
      direction: 'inbound',
      executionMode: 'rules',
      rules: [
        { sequence: 10, name: 'forward', conditions: [], action: 'forward', forwardTo: code },
      ],
    });
    const endpoint = await admin(adminPort, 'POST', '/inbound-endpoints', {
      name: code,
      path: code,
      handler: handler.code,
    });

    // A backend publishing over its own Cluster connection (BullMQ takes the instance).
    publisherConnection = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: null } },
    );
    publisher = new HookgatePublisher({ connection: publisherConnection, prefix });

    const accepted: string[] = [];
    const published: string[] = [];
    for (let start = 0; start < INBOUND; start += 16) {
      const answers = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const n = start + i;
          const res = await fetch(`http://127.0.0.1:${gateways[n % 2]}${endpoint.url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ n }),
          });
          expect(res.status).toBe(202);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      accepted.push(...answers);
      const sent = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          publisher!.deliver({
            endpoint: `${code}-pub`,
            payload: { n: start / 2 + i },
            idempotencyKey: `${code}-pub-${start / 2 + i}`,
          }),
        ),
      );
      published.push(...sent.map((handle) => handle.idempotencyKey));
    }
    expect(new Set(accepted).size).toBe(INBOUND);
    expect(new Set(published).size).toBe(PUBLISHED);

    const total = INBOUND + PUBLISHED;
    await waitFor(
      async () => {
        const [row] = await query<{ n: string }>(
          db(),
          `SELECT count(*) AS n FROM deliveries
            WHERE endpoint_code IN ($1, $2) AND state = 'done'`,
          [code, `${code}-pub`],
        );
        return Number(row.n) === total ? true : undefined;
      },
      { timeoutMs: 60_000, what: `${total} deliveries done` },
    );

    // Events: each stored once, processed once.
    const events = await query<{ id: string; state: string; attempts: number }>(
      db(),
      `SELECT id, state, attempts FROM inbound_events WHERE endpoint_path = $1`,
      [code],
    );
    expect(events).toHaveLength(INBOUND);
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(accepted));
    expect(events.every((e) => e.state === 'done' && e.attempts === 1)).toBe(true);

    // Deliveries: one per event and one per published request, one attempt each.
    const deliveries = await query<{
      id: string;
      endpoint_code: string;
      source_event_id: string | null;
      idempotency_key: string | null;
      attempts: number;
    }>(
      db(),
      `SELECT id, endpoint_code, source_event_id, idempotency_key, attempts FROM deliveries
        WHERE endpoint_code IN ($1, $2)`,
      [code, `${code}-pub`],
    );
    expect(deliveries).toHaveLength(total);
    const forwarded = deliveries.filter((d) => d.endpoint_code === code);
    expect(new Set(forwarded.map((d) => d.source_event_id))).toEqual(new Set(accepted));
    const fromPublisher = deliveries.filter((d) => d.endpoint_code === `${code}-pub`);
    expect(new Set(fromPublisher.map((d) => d.idempotency_key))).toEqual(new Set(published));
    expect(deliveries.every((d) => d.attempts === 1)).toBe(true);
    const attempts = await query<{ delivery_id: string; outcome: string }>(
      db(),
      `SELECT a.delivery_id, a.outcome FROM delivery_attempts a
         JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_code IN ($1, $2)`,
      [code, `${code}-pub`],
    );
    expect(attempts).toHaveLength(total);
    expect(attempts.every((a) => a.outcome === 'success')).toBe(true);
    expect(new Set(attempts.map((a) => a.delivery_id)).size).toBe(total);

    // The sink: one request per delivery, none twice.
    const seen = sink.requests.map((r) => String(r.headers['webhook-id']));
    expect(seen).toHaveLength(total);
    expect(new Set(seen)).toEqual(new Set(deliveries.map((d) => d.id)));

    // Both processes of each kind did part of the work, and together exactly all of it.
    const processed = await Promise.all(
      gateways.map((port) =>
        metric(port, 'hookgate_inbound_events_processed_total', 'outcome="done"'),
      ),
    );
    const sent = await Promise.all(
      dispatchers.map((port) =>
        metric(port, 'hookgate_outbound_deliveries_total', 'outcome="done"'),
      ),
    );
    expect(processed.every((n) => n > 0)).toBe(true);
    expect(sent.every((n) => n > 0)).toBe(true);
    expect(processed[0] + processed[1]).toBe(INBOUND);
    expect(sent[0] + sent[1]).toBe(total);

    // One queue prefix, one slot: the run's keys all sit on the node serving it.
    const onThird = await keysOn(third, `${prefix}:*`);
    expect(onThird.length).toBeGreaterThan(0);
    expect(onThird.some((key) => key.startsWith(`${prefix}:inbound-events:`))).toBe(true);
    expect(onThird.some((key) => key.startsWith(`${prefix}:outbound-deliveries:`))).toBe(true);
    expect(onThird.some((key) => key.startsWith(`${prefix}:outbound-requests:`))).toBe(true);
    for (const port of cluster.ports.filter((p) => p !== third)) {
      expect(await keysOn(port, `${prefix}:*`)).toEqual([]);
    }
    const slots = await Promise.all(
      onThird.slice(0, 50).map((key) => cluster!.node(third).call('CLUSTER', 'KEYSLOT', key)),
    );
    expect(new Set(slots.map(Number))).toEqual(new Set([slot]));

    // The admin's queue UI reads the queues through the cluster too.
    const board = await fetch(`http://127.0.0.1:${adminPort}/api/queues/api/queues`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(board.status).toBe(200);
    const listed = (await board.json()) as {
      queues: Array<{ name: string; counts: Record<string, number> }>;
    };
    expect(listed.queues.map((q) => q.name).sort()).toEqual([
      'inbound-events',
      'outbound-deliveries',
      'outbound-requests',
    ]);
    expect(listed.queues.every((q) => typeof q.counts.waiting === 'number')).toBe(true);

    // Pub/sub across the cluster: both gateways drop the deactivated endpoint at once.
    await admin(adminPort, 'DELETE', `/inbound-endpoints/${endpoint.id}`);
    for (const gateway of gateways) {
      await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${gateway}${endpoint.url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          return res.status === 404 ? true : undefined;
        },
        { timeoutMs: 5_000, what: `gateway ${gateway} answering 404 after deactivation` },
      );
    }
  });
});
