import { connect } from 'node:net';
import { freePort, spawnApp, stopApp, type AppName } from './support/processes';
import { adminUrl, databaseUrl, dropDatabase, query, uniqueName } from './support/database';
import { waitFor } from './support/wait';

/**
 * SPEC §2: `SECRETS_KEY` is required when `NODE_ENV=production` (issue 26). Each built app,
 * started as in production without it, exits 1 with a message naming the variable, and
 * never listens nor touches its database (not even creating it); the same start with a
 * key comes up, so the refusal is about the key and nothing else.
 */
jest.setTimeout(90_000);
const KEY = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';

/** True while something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(adminUrl(), `SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
  return rows.length > 0;
}

const PORT_VARIABLE: Record<AppName, string> = {
  'inbound-gateway': 'INBOUND_PORT',
  admin: 'ADMIN_PORT',
  'outbound-dispatcher': 'DISPATCHER_PORT',
};

describe('production start without SECRETS_KEY', () => {
  const databases: string[] = [];

  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
  });

  function productionEnv(database: string, port: number, metricsPort: number) {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl(database),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: `${process.env.QUEUE_PREFIX}_prodkey`,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: 'production-key-test-0123456789',
      INBOUND_PORT: String(port),
      ADMIN_PORT: String(port),
      DISPATCHER_PORT: String(port),
      INBOUND_METRICS_PORT: String(metricsPort),
    };
  }

  it.each<AppName>(['inbound-gateway', 'admin', 'outbound-dispatcher'])(
    '%s exits 1 naming SECRETS_KEY, having listened on nothing and created nothing',
    async (name) => {
      const database = uniqueName('hookgate_prodkey');
      databases.push(database);
      const [port, metricsPort] = [await freePort(), await freePort()];
      const app = spawnApp(name, productionEnv(database, port, metricsPort));
      // Probe the ports for as long as the process lives.
      let listened = false;
      let exited = false;
      const code = app.exited.then((c) => {
        exited = true;
        return c;
      });
      while (!exited) {
        if ((await listening(port)) || (await listening(metricsPort))) listened = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await code).toBe(1);
      expect(listened).toBe(false);
      expect(app.output()).toContain('SECRETS_KEY (unset): is required when NODE_ENV=production');
      expect(app.output()).not.toContain(PORT_VARIABLE[name]);
      expect(await databaseExists(database)).toBe(false);
    },
  );

  it('the same start with a key comes up', async () => {
    const database = uniqueName('hookgate_prodkey');
    databases.push(database);
    const [port, metricsPort] = [await freePort(), await freePort()];
    const app = spawnApp('admin', {
      ...productionEnv(database, port, metricsPort),
      SECRETS_KEY: KEY,
    });
    try {
      const ready = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return res.status === 200 ? true : undefined;
        },
        { timeoutMs: 60_000, what: `the admin to be ready: ${app.output()}` },
      );
      expect(ready).toBe(true);
      expect(app.output()).not.toContain('SECRETS_KEY');
    } finally {
      await stopApp(app);
    }
  });
});
