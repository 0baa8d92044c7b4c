import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait';

/**
 * Runs the built apps (`dist/`, made by `npm run build` before the e2e tests) as real
 * processes, for tests about boot, configuration and crashes.
 */
export type AppName = 'inbound-gateway' | 'outbound-dispatcher' | 'admin';

const ROOT = join(__dirname, '..', '..');

export function distMain(app: AppName): string {
  return join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
}

/**
 * The built gateway's event-writer thread. Tests that run the gateway from its TypeScript
 * sources (the harness) start this compiled copy, which `npm run build` must have made.
 */
export function distWriterThread(): string {
  const script = join(
    ROOT,
    'dist',
    'apps',
    'inbound-gateway',
    'src',
    'receive',
    'writer-thread.js',
  );
  if (!existsSync(script)) {
    throw new Error(`${script} is missing: run \`npm run build\` before the e2e tests`);
  }
  return script;
}

export interface RunningApp {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function spawnApp(app: AppName, env: Record<string, string>): RunningApp {
  const child = spawn(process.execPath, [distMain(app)], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      // The gateway's metrics listener on any free port unless the test names one: parallel
      // runs (and several gateways in one test) must not fight over the default 9464.
      ...(app === 'inbound-gateway' ? { INBOUND_METRICS_PORT: '0' } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function stopApp(app: RunningApp, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill(signal);
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
  await app.exited;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const PORT_VARIABLE: Record<AppName, string> = {
  admin: 'ADMIN_PORT',
  'inbound-gateway': 'INBOUND_PORT',
  'outbound-dispatcher': 'DISPATCHER_PORT',
};

/**
 * Spawns a built app on a free port (the gateway's metrics on a second one; the other apps
 * serve `/metrics` on their own port), adds it to `started` at once (so an afterAll stops
 * it even if it never gets ready), and waits for `/health/ready`.
 */
export async function startReadyApp(
  app: AppName,
  env: Record<string, string>,
  started: RunningApp[],
): Promise<{ port: number; metricsPort: number }> {
  const port = await freePort();
  const metricsPort = app === 'inbound-gateway' ? await freePort() : port;
  const running = spawnApp(app, {
    ...env,
    [PORT_VARIABLE[app]]: String(port),
    ...(app === 'inbound-gateway' ? { INBOUND_METRICS_PORT: String(metricsPort) } : {}),
  });
  started.push(running);
  await waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
    { timeoutMs: 60_000, what: `${app} ready on ${port}: ${running.output()}` },
  );
  return { port, metricsPort };
}

/** A port nothing listens on (bound, then released). */
export const closedPort = freePort;
