import { MIGRATIONS } from '@app/persistence';
import { closedPort, freePort, spawnApp, stopApp, type RunningApp } from './support/processes';
import { databaseUrl, dropDatabase, query, uniqueName } from './support/database';
import { waitFor } from './support/wait';

/**
 * The foundation's promises, against the built apps as real processes: three apps
 * starting at once on an empty database migrate exactly once and become ready; a second
 * start on the same database works; a bad variable exits 1 naming it; readiness is 503
 * while Redis is unreachable.
 */
jest.setTimeout(120_000);

async function ready(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return res.status;
}

describe('foundation: boot, migrations, configuration, readiness', () => {
  const database = uniqueName('hookgate_boot');
  const url = databaseUrl(database);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `${process.env.QUEUE_PREFIX ?? 'hgtest'}_boot`;
  let running: RunningApp[] = [];
  let inboundMetrics = 0;

  afterEach(async () => {
    await Promise.all(running.map((app) => stopApp(app)));
    running = [];
  });

  afterAll(async () => {
    await dropDatabase(database);
  });

  async function startAll(): Promise<number[]> {
    const [inbound, admin, dispatcher] = await Promise.all([freePort(), freePort(), freePort()]);
    inboundMetrics = await freePort();
    const env = { DATABASE_URL: url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, HOST: '127.0.0.1' };
    running = [
      spawnApp('inbound-gateway', {
        ...env,
        INBOUND_PORT: String(inbound),
        INBOUND_METRICS_PORT: String(inboundMetrics),
      }),
      spawnApp('admin', {
        ...env,
        ADMIN_PORT: String(admin),
        ADMIN_API_KEY: 'boot-test-admin-key-0123456789',
      }),
      spawnApp('outbound-dispatcher', { ...env, DISPATCHER_PORT: String(dispatcher) }),
    ];
    const ports = [inbound, admin, dispatcher];
    for (const [i, port] of ports.entries()) {
      await waitFor(async () => ((await ready(port)) === 200 ? true : undefined), {
        timeoutMs: 60_000,
        what: `app on port ${port} to be ready; output:\n${running[i].output()}`,
      });
    }
    return ports;
  }

  it('three apps starting together on a missing database create it, migrate exactly once and become ready', async () => {
    await startAll();
    const migrations = await query<{ name: string }>(
      url,
      'SELECT name FROM migrations ORDER BY id',
    );
    // Every migration the build lists, each exactly once, the initial schema first.
    const all = MIGRATIONS.map((migration) => new migration().name);
    expect(all[0]).toMatch(/^InitialSchema/);
    expect(migrations.map((m) => m.name)).toEqual(all);
    const tenants = await query<{ name: string }>(url, `SELECT name FROM tenants`);
    expect(tenants.map((t) => t.name)).toEqual(['default']);
    for (const app of running) expect(app.output()).not.toMatch(/failed to start/);
  });

  it('a second start on the same database works and applies nothing', async () => {
    await startAll();
    const migrations = await query(url, 'SELECT name FROM migrations');
    expect(migrations).toHaveLength(MIGRATIONS.length);
  });

  it('a bad configuration value exits 1 with a message naming the variable', async () => {
    const app = spawnApp('admin', { DATABASE_URL: url, ADMIN_PORT: 'abc' });
    const code = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toContain('ADMIN_PORT');
    expect(app.output()).toContain('"abc"');
  });

  it('answers /health/ready 503 while Redis is unreachable, and /health 200', async () => {
    const port = await freePort();
    const deadRedis = await closedPort();
    const app = spawnApp('admin', {
      DATABASE_URL: url,
      REDIS_URL: `redis://127.0.0.1:${deadRedis}`,
      ADMIN_PORT: String(port),
      HOST: '127.0.0.1',
    });
    running = [app];
    const live = await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/health`)).status,
      {
        timeoutMs: 60_000,
        what: `admin /health; output:\n${app.output()}`,
      },
    );
    expect(live).toBe(200);
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      checks: { postgres: { status: string }; redis: { status: string } };
    };
    expect(body.checks.postgres.status).toBe('up');
    expect(body.checks.redis.status).toBe('down');
  });

  it('serves Prometheus metrics', async () => {
    const [, admin, dispatcher] = await startAll();
    // The gateway's are on a listener of its own (webhook-port.e2e-spec.ts).
    for (const port of [inboundMetrics, admin, dispatcher]) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain('process_cpu_user_seconds_total');
    }
    const gateway = await (await fetch(`http://127.0.0.1:${inboundMetrics}/metrics`)).text();
    expect(gateway).toContain('hookgate_inbound_requests_total');
  });
});
