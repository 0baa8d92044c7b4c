import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

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

/** A port nothing listens on (bound, then released). */
export const closedPort = freePort;
