import { existsSync } from 'node:fs';
import { join } from 'node:path';
import createDatabase from '../../../../test/support/global-setup';
import dropDatabase from '../../../../test/support/global-teardown';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../../test/support/processes';
import { waitFor } from '../../../../test/support/wait';
import { ADMIN_KEY } from './env';

/**
 * Playwright global setup: a database and queue prefix for this run (as the Jest e2e setup
 * makes them), then the three built apps as real processes on free loopback ports. The URLs
 * reach the test workers through the environment; the returned function stops the apps and
 * drops the database.
 */
export default async function startApps(): Promise<() => Promise<void>> {
  const index = join(__dirname, '..', '..', '..', '..', 'dist', 'console', 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`npm run build\` first`);
  await createDatabase();
  const env = {
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
    HOST: '127.0.0.1',
    ADMIN_API_KEY: ADMIN_KEY,
    RECONCILE_INTERVAL_SECONDS: '1',
    ENDPOINT_CACHE_TTL_MS: '200',
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
  };
  const [adminPort, inboundPort, dispatcherPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
  ]);
  const apps: RunningApp[] = [];
  const stop = async () => {
    await Promise.all(apps.map((app) => stopApp(app)));
    await dropDatabase();
  };
  try {
    // The admin app migrates first; the others then find the schema in place.
    apps.push(spawnApp('admin', { ...env, ADMIN_PORT: String(adminPort) }));
    await ready(apps[0], adminPort);
    apps.push(spawnApp('inbound-gateway', { ...env, INBOUND_PORT: String(inboundPort) }));
    apps.push(spawnApp('outbound-dispatcher', { ...env, DISPATCHER_PORT: String(dispatcherPort) }));
    await Promise.all([ready(apps[1], inboundPort), ready(apps[2], dispatcherPort)]);
  } catch (error) {
    await stop();
    throw error;
  }
  process.env.CONSOLE_ADMIN_URL = `http://127.0.0.1:${adminPort}`;
  process.env.CONSOLE_INBOUND_URL = `http://127.0.0.1:${inboundPort}`;
  return stop;
}

async function ready(app: RunningApp, port: number): Promise<void> {
  await waitFor(
    async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok ? true : undefined),
    { timeoutMs: 90_000, intervalMs: 250, what: `ready on ${port}: ${app.output()}` },
  );
}
