import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from '../../support/processes';
import { waitFor } from '../../support/wait';

/**
 * A Redis server of the chaos suite's own, on a free loopback port, without persistence:
 * the shared Redis on 6379 serves five other engineers' runs and must never be flushed or
 * stopped. This one is flushed, frozen, killed and restarted on the same port at will.
 */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
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
        '--appendonly',
        'no',
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

  /** kill -9: the port closes and every key is gone (no persistence). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** A fresh, empty server on the same port. */
  restart(): Promise<void> {
    return this.boot();
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
