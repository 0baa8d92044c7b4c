import {
  freePort,
  spawnApp,
  stopApp,
  type AppName,
  type RunningApp,
} from '../../support/processes';
import { waitFor } from '../../support/wait';

/**
 * The real apps of one scenario, spawned from `dist/` (so `kill -9` is a real SIGKILL of a
 * real process), each on a free loopback port, against the run's database and the
 * scenario's own Redis. Apps can be killed and started again on the same port.
 */
export const CHAOS_ADMIN_KEY = 'chaos-admin-key-0123456789abcdef';

const PORT_VARIABLE: Record<AppName, string> = {
  'inbound-gateway': 'INBOUND_PORT',
  admin: 'ADMIN_PORT',
  'outbound-dispatcher': 'DISPATCHER_PORT',
};

export interface StackOptions {
  redisUrl: string;
  /** Defaults to the run's database (global setup). */
  databaseUrl?: string;
  apps: AppName[];
  /** Variables for every app (fast reconcilers and leases suit most scenarios). */
  env?: Record<string, string>;
  /** Variables for one app only, on top of `env`. */
  appEnv?: Partial<Record<AppName, Record<string, string>>>;
}

interface Member {
  port: number;
  running?: RunningApp;
  /** Every process this member ran, for output on failure. */
  history: RunningApp[];
}

export class Stack {
  private readonly members = new Map<AppName, Member>();

  private constructor(private readonly options: StackOptions) {}

  static async start(options: StackOptions): Promise<Stack> {
    const stack = new Stack(options);
    for (const app of options.apps) {
      stack.members.set(app, { port: await freePort(), history: [] });
    }
    // At once: migrations run under a Postgres advisory lock, so concurrent boots are safe.
    await Promise.all(options.apps.map((app) => stack.startApp(app)));
    return stack;
  }

  url(app: AppName): string {
    const member = this.members.get(app);
    if (!member) throw new Error(`${app} is not part of this stack`);
    return `http://127.0.0.1:${member.port}`;
  }

  get inboundUrl(): string {
    return this.url('inbound-gateway');
  }

  env(app: AppName): Record<string, string> {
    return {
      DATABASE_URL: this.options.databaseUrl ?? process.env.DATABASE_URL!,
      REDIS_URL: this.options.redisUrl,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? 'hgchaos',
      HOST: '127.0.0.1',
      ADMIN_API_KEY: CHAOS_ADMIN_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      RECONCILE_INTERVAL_SECONDS: '1',
      PROCESSING_LEASE_SECONDS: '3',
      LOG_LEVEL: 'error',
      ...this.options.env,
      ...this.options.appEnv?.[app],
      [PORT_VARIABLE[app]]: String(this.members.get(app)!.port),
    };
  }

  /** Spawns the app and waits until `/health/ready` answers 200. */
  async startApp(app: AppName, { waitReady = true } = {}): Promise<void> {
    const member = this.members.get(app)!;
    const running = spawnApp(app, this.env(app));
    member.running = running;
    member.history.push(running);
    if (!waitReady) return;
    await waitFor(
      async () => {
        if (running.child.exitCode !== null) {
          throw new Error(`${app} exited with ${running.child.exitCode}: ${running.output()}`);
        }
        const res = await fetch(`${this.url(app)}/health/ready`);
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${app} ready` },
    );
  }

  /** Waits until the app answers `/health` (liveness only: its dependencies may be down). */
  async waitAlive(app: AppName): Promise<void> {
    await waitFor(
      async () => ((await fetch(`${this.url(app)}/health`)).status === 200 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100, what: `${app} alive` },
    );
  }

  /** kill -9. */
  async kill(app: AppName): Promise<void> {
    const member = this.members.get(app)!;
    if (member.running) await stopApp(member.running, 'SIGKILL');
    member.running = undefined;
  }

  /** Apps whose current process exited without being told to (a crash), with their output. */
  crashes(): string[] {
    const crashed: string[] = [];
    for (const [app, member] of this.members) {
      for (const run of member.history) {
        const { exitCode, signalCode } = run.child;
        if (run === member.running && (exitCode !== null || signalCode !== null)) {
          crashed.push(`${app} exited (${exitCode ?? signalCode}): ${run.output().slice(-2000)}`);
        }
      }
    }
    return crashed;
  }

  output(app: AppName): string {
    return this.members
      .get(app)!
      .history.map((run) => run.output())
      .join('\n--- restart ---\n');
  }

  async admin<T = any>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url('admin')}/api/v1${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${CHAOS_ADMIN_KEY}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Admin call that must create something (201). */
  async create<T = any>(path: string, body: unknown): Promise<T> {
    const res = await this.admin<T>(path, { body });
    if (res.status !== 201) {
      throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  async close(): Promise<void> {
    await Promise.all([...this.members.keys()].map((app) => this.kill(app)));
  }
}
