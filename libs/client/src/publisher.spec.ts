import { createServer } from 'node:net';
import { HookgatePublisher } from './publisher';

/**
 * The publisher against a Redis that is not there (a loopback port nobody listens on): its
 * connection errors reach `onError` and `lastError`, and BullMQ prints none of them as an
 * unhandled error (`console.error`), the way a service's logs filled during an outage.
 */
async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('HookgatePublisher connection errors', () => {
  let consoleError: jest.SpyInstance;

  beforeEach(() => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    consoleError.mockRestore();
  });

  it('hands them to onError and keeps the last one, printing nothing', async () => {
    const port = await closedLoopbackPort();
    const seen: Error[] = [];
    const publisher = new HookgatePublisher({
      redisUrl: `redis://127.0.0.1:${port}`,
      onError: (error) => seen.push(error),
    });
    try {
      await until(() => seen.length >= 2);
      expect(seen[0].message).toMatch(/ECONNREFUSED/);
      expect(publisher.lastError?.error).toBe(seen[seen.length - 1]);
      expect(publisher.lastError?.at).toBeInstanceOf(Date);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await publisher.close().catch(() => undefined);
    }
  });

  it('keeps the last one without onError, and survives an onError that throws', async () => {
    const port = await closedLoopbackPort();
    const quiet = new HookgatePublisher({ redisUrl: `redis://127.0.0.1:${port}` });
    let calls = 0;
    const throwing = new HookgatePublisher({
      redisUrl: `redis://127.0.0.1:${port}`,
      onError: () => {
        calls += 1;
        throw new Error('listener bug');
      },
    });
    try {
      await until(() => quiet.lastError !== null && calls >= 2);
      expect(quiet.lastError?.error.message).toMatch(/ECONNREFUSED/);
      expect(throwing.lastError?.error.message).toMatch(/ECONNREFUSED/);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await Promise.all([quiet.close(), throwing.close()].map((p) => p.catch(() => undefined)));
    }
  });
});
