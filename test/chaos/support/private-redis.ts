import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../support/processes';
import { waitFor } from '../../support/wait';

/**
 * A Redis server of the chaos suite's own, on a free loopback port: the shared Redis on
 * 6379 serves five other engineers' runs and must never be flushed or stopped. This one is
 * flushed, frozen, killed and restarted on the same port at will.
 *
 * Without persistence by default (a restart comes back empty). With `appendfsync`, it
 * keeps an append-only file in a temporary directory of its own, fsynced as asked, and a
 * restart replays it — the persistence docs/operations.md requires in production.
 */
export interface PrivateRedisOptions {
  appendfsync?: 'always' | 'everysec';
}

export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    /** The append-only file's directory, when persistence is on. */
    readonly dir: string | undefined,
    private readonly options: PrivateRedisOptions,
  ) {}

  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const dir = options.appendfsync
      ? await mkdtemp(join(tmpdir(), 'hookgate-chaos-redis-'))
      : undefined;
    const redis = new PrivateRedis(await freePort(), dir, options);
    await redis.boot();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async boot(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...(this.dir && this.options.appendfsync
          ? ['--dir', this.dir, '--appendonly', 'yes', '--appendfsync', this.options.appendfsync]
          : ['--appendonly', 'no']),
        '--protected-mode',
        'yes',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    await waitFor(async () => ((await this.command('PING')) === 'PONG' ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: `private redis-server on ${this.port}`,
    });
  }

  /** One command on a short-lived connection. */
  async command(...args: string[]): Promise<unknown> {
    const client = new Redis(this.url, {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(args[0], ...args.slice(1));
    } finally {
      client.disconnect();
    }
  }

  flushAll(): Promise<unknown> {
    return this.command('FLUSHALL');
  }

  /** Whether the server is up (not killed, or restarted since). */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** kill -9: the port closes; without persistence every key is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /**
   * A server on the same port: empty without persistence, else replaying the append-only
   * file (it answers PING only once the file is loaded).
   */
  restart(): Promise<void> {
    return this.boot();
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
