import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A receiver that fails about half of the requests it gets, in three ways (500, a reset
 * connection, an answer slower than the caller's timeout), chosen by a seeded generator
 * so a run can be replayed. It logs every request as it arrives, with its fate: the log
 * the dispatcher's attempt counts are checked against.
 */
export type Fate = 'ok' | 'status_500' | 'reset' | 'timeout';

export interface FlappingSink {
  url: string;
  log: Array<{ id: string; fate: Fate; at: number }>;
  close(): Promise<void>;
}

/** mulberry32: a tiny seeded PRNG, enough to replay a fate sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFlappingSink(options: {
  seed: number;
  failureRate: number;
  /** How long a "timeout" answer waits: longer than the endpoint's timeoutMs. */
  slowMs: number;
}): Promise<FlappingSink> {
  const random = seededRandom(options.seed);
  const log: FlappingSink['log'] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const roll = random();
    const fates: Fate[] = ['status_500', 'reset', 'timeout'];
    const fate: Fate =
      roll >= options.failureRate
        ? 'ok'
        : fates[Math.min(2, Math.floor((roll / options.failureRate) * 3))];
    log.push({ id: String(req.headers['webhook-id']), fate, at: Date.now() });
    req.resume();
    req.on('end', () => {
      switch (fate) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        case 'status_500':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('flap');
          return;
        case 'reset':
          req.socket.resetAndDestroy();
          return;
        case 'timeout': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!res.destroyed) res.writeHead(200).end('too late');
          }, options.slowMs);
          timers.add(timer);
          return;
        }
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
