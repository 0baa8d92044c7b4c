import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A webhook receiver for tests, on loopback only. It records every request (and every
 * TCP connection, to prove refused deliveries never connected) and answers with a
 * scripted sequence of responses.
 */
export interface SinkRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export interface SinkResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface Sink {
  url: string;
  port: number;
  requests: SinkRequest[];
  connections: number;
  /** Responses to give, in order; when exhausted, `fallback` answers. */
  script: SinkResponse[];
  fallback: SinkResponse;
  close(): Promise<void>;
}

export async function startSink(host = '127.0.0.1'): Promise<Sink> {
  const sockets = new Set<Socket>();
  const sink: Partial<Sink> = {
    requests: [],
    connections: 0,
    script: [],
    fallback: { status: 200, body: 'ok' },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.requests!.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      });
      const next = sink.script!.length > 0 ? sink.script!.shift()! : sink.fallback!;
      const answer = () => {
        if (next.reset) {
          req.socket.destroy();
          return;
        }
        res.writeHead(next.status, next.headers ?? { 'content-type': 'text/plain' });
        res.end(next.body ?? '');
      };
      if (next.delayMs) setTimeout(answer, next.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket: Socket) => {
    sink.connections! += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  sink.port = port;
  sink.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return sink as Sink;
}
