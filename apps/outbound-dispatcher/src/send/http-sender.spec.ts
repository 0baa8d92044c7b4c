import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Resolver } from './address-policy';
import { classifyHttpOutcome, type OutboundRequest } from '@app/core';
import { HttpSender, MAX_RESPONSE_BODY_BYTES } from './http-sender';

/**
 * The sender against real loopback servers. Addresses outside loopback only ever appear
 * as stubbed DNS answers that the guard refuses before a socket is opened.
 */
interface Loopback {
  url: string;
  port: number;
  connections: number;
  received: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }>;
  close(): Promise<void>;
}

async function listen(
  handler: Parameters<typeof createServer>[1],
  host = '127.0.0.1',
): Promise<Loopback> {
  const sockets = new Set<Socket>();
  const state: Loopback = {
    url: '',
    port: 0,
    connections: 0,
    received: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler!(req, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://${host.includes(':') ? `[${host}]` : host}:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}

const post = (url: string, body = '{"a":1}'): OutboundRequest => ({
  method: 'POST',
  bodyMode: 'json',
  url,
  headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
  body: Buffer.from(body),
});

describe('HttpSender (private networks allowed, as in tests and demos)', () => {
  const sender = new HttpSender({ allowPrivateNetworks: true, maxSockets: 8 });
  afterAll(() => sender.close());

  it('sends method, headers and body, and returns status, headers and body', async () => {
    const server = await listen((_req, res) => {
      res.writeHead(201, { 'x-reply': 'r', 'content-type': 'text/plain' });
      res.end('created');
    });
    try {
      const result = await sender.send(post(`${server.url}/hooks?x=1`), { timeoutMs: 5000 });
      expect(result).toMatchObject({
        ok: true,
        status: 201,
        body: 'created',
        truncated: false,
        headers: expect.objectContaining({ 'x-reply': 'r' }),
      });
      expect(server.received[0]).toMatchObject({
        method: 'POST',
        url: '/hooks?x=1',
        body: '{"a":1}',
        headers: expect.objectContaining({ 'x-custom': 'yes', 'user-agent': 'Hookgate' }),
      });
    } finally {
      await server.close();
    }
  });

  it('keeps at most 64 KiB of a response body', async () => {
    const server = await listen((_req, res) => {
      res.writeHead(200);
      res.end('x'.repeat(MAX_RESPONSE_BODY_BYTES * 3));
    });
    try {
      const result = await sender.send(post(server.url), { timeoutMs: 5000 });
      expect(result.ok && result.body.length).toBe(MAX_RESPONSE_BODY_BYTES);
      expect(result.ok && result.truncated).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('does not follow redirects', async () => {
    const server = await listen((req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    try {
      const result = await sender.send(post(server.url), { timeoutMs: 5000 });
      expect(result).toMatchObject({ ok: true, status: 302 });
      expect(server.received.map((r) => r.url)).toEqual(['/']);
      expect(classifyHttpOutcome(result)).toBe('error');
    } finally {
      await server.close();
    }
  });

  it('times out a slow endpoint, body included', async () => {
    const server = await listen((_req, res) => {
      res.writeHead(200);
      res.write('partial');
      // Never ends.
    });
    try {
      const result = await sender.send(post(server.url), { timeoutMs: 300 });
      expect(result).toMatchObject({ ok: false, errorClass: 'timeout' });
      expect(result.durationMs).toBeGreaterThanOrEqual(250);
      expect(classifyHttpOutcome(result)).toBe('retry');
    } finally {
      await server.close();
    }
  });

  it('classifies a closed port and a reset connection as retryable', async () => {
    const closed = await listen(() => undefined);
    const closedUrl = closed.url;
    await closed.close();
    const refused = await sender.send(post(closedUrl), { timeoutMs: 2000 });
    expect(refused).toMatchObject({ ok: false, errorClass: 'connection_refused' });
    expect(classifyHttpOutcome(refused)).toBe('retry');

    const resetting = await listen((req) => req.socket.destroy());
    try {
      const reset = await sender.send(post(resetting.url), { timeoutMs: 2000 });
      expect(reset).toMatchObject({ ok: false });
      expect(['connection_reset', 'network']).toContain(!reset.ok && reset.errorClass);
      expect(classifyHttpOutcome(reset)).toBe('retry');
    } finally {
      await resetting.close();
    }
  });

  it('decodes gzip, deflate and br response bodies', async () => {
    const text = '{"received":true}';
    const encoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: gzipSync,
      deflate: deflateSync,
      br: brotliCompressSync,
    };
    const server = await listen((req, res) => {
      const encoding = String(req.headers['x-want']);
      res.writeHead(200, { 'content-encoding': encoding });
      res.end(encoders[encoding]!(Buffer.from(text)));
    });
    try {
      for (const encoding of Object.keys(encoders)) {
        const request = post(server.url);
        const result = await sender.send(
          { ...request, headers: { ...request.headers, 'x-want': encoding } },
          { timeoutMs: 5000 },
        );
        expect(result).toMatchObject({ ok: true, status: 200, body: text });
      }
    } finally {
      await server.close();
    }
  });

  it('keeps the status of an answer whose body cannot be decoded', async () => {
    const server = await listen((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end('not gzip at all');
    });
    try {
      const result = await sender.send(post(server.url), { timeoutMs: 5000 });
      expect(result).toMatchObject({ ok: true, status: 200 });
      expect(result.ok && result.body).toMatch(/not decodable as gzip/);
      expect(classifyHttpOutcome(result)).toBe('success');
    } finally {
      await server.close();
    }
  });

  it('keeps prototype-named headers as headers, both ways (issue 21)', async () => {
    let rawHeaders: string[] = [];
    const server = await listen((req, res) => {
      rawHeaders = req.rawHeaders;
      res.writeHead(200, [
        ['__proto__', 'from-sink'],
        ['constructor', 'c'],
      ]);
      res.end('ok');
    });
    try {
      const headers: Record<string, string> = {};
      Object.defineProperty(headers, '__proto__', {
        value: 'from-rule',
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const result = await sender.send(
        { ...post(`${server.url}/hooks`), headers },
        { timeoutMs: 5000 },
      );
      expect(result.ok).toBe(true);
      const answered = (result as { headers: Record<string, string> }).headers;
      expect(Object.getOwnPropertyDescriptor(answered, '__proto__')?.value).toBe('from-sink');
      expect(Object.getOwnPropertyDescriptor(answered, 'constructor')?.value).toBe('c');
      expect(Object.getPrototypeOf(answered)).toBe(Object.prototype);
      // Node's own parser drops a `__proto__` header from req.headers: read the raw list.
      expect(rawHeaders).toEqual(expect.arrayContaining(['__proto__', 'from-rule']));
      expect(({} as Record<string, unknown>)['from-sink']).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('does not send client-owned headers from header rules, and lets a rule set the User-Agent', async () => {
    const server = await listen((_req, res) => res.end('ok'));
    try {
      const result = await sender.send(
        {
          method: 'POST',
          bodyMode: 'json',
          url: server.url,
          headers: {
            'content-type': 'application/json',
            Connection: 'upgrade',
            'Content-Length': '999',
            'Transfer-Encoding': 'chunked',
            Upgrade: 'websocket',
            'User-Agent': 'Acme/2',
          },
          body: Buffer.from('{"a":1}'),
        },
        { timeoutMs: 5000 },
      );
      expect(result).toMatchObject({ ok: true, status: 200 });
      const headers = server.received[0]!.headers;
      expect(headers['user-agent']).toBe('Acme/2');
      expect(headers['content-length']).toBe('7');
      expect(headers).not.toHaveProperty('upgrade');
      expect(headers).not.toHaveProperty('transfer-encoding');
      expect(server.received[0]!.body).toBe('{"a":1}');
    } finally {
      await server.close();
    }
  });

  it('answers a header value that cannot go on the wire as a final error, without sending', async () => {
    const server = await listen((_req, res) => res.end('ok'));
    try {
      const request = post(server.url);
      const result = await sender.send(
        { ...request, headers: { ...request.headers, 'x-bad': 'line\r\nbreak' } },
        { timeoutMs: 5000 },
      );
      expect(result).toMatchObject({ ok: false, errorClass: 'invalid_url' });
      expect(classifyHttpOutcome(result)).toBe('error');
      expect(server.received).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('reuses connections across sequential sends (keep-alive)', async () => {
    const server = await listen((_req, res) => res.end('ok'));
    try {
      for (let i = 0; i < 20; i++) {
        expect(await sender.send(post(server.url), { timeoutMs: 5000 })).toMatchObject({
          ok: true,
        });
      }
      expect(server.received).toHaveLength(20);
      // A socket is back in the pool a tick after its response ends, so a send made at
      // once may open a second one; without keep-alive there would be 20.
      expect(server.connections).toBeLessThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it('rejects unusable URLs without sending', async () => {
    const bad = await sender.send(post('not a url'), { timeoutMs: 1000 });
    expect(bad).toMatchObject({ ok: false, errorClass: 'invalid_url' });
    const ftp = await sender.send(post('ftp://127.0.0.1/x'), { timeoutMs: 1000 });
    expect(ftp).toMatchObject({ ok: false, errorClass: 'invalid_url' });
    expect(classifyHttpOutcome(ftp)).toBe('error');
  });
});

describe('HttpSender (private networks refused: the production default)', () => {
  let v4: Loopback;
  let v6: Loopback | undefined;
  const lookups: string[] = [];
  const resolver: Resolver = (hostname, _options, callback) => {
    lookups.push(hostname);
    const answers: Record<string, LookupAddress[]> = {
      localhost: [{ address: '127.0.0.1', family: 4 }],
      'metadata.example': [{ address: '169.254.169.254', family: 4 }],
      'intranet.example': [{ address: '10.20.30.40', family: 4 }],
    };
    const answer = answers[hostname];
    if (!answer) {
      return callback(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
        [],
      );
    }
    return callback(null, answer);
  };
  const sender = new HttpSender({ allowPrivateNetworks: false, maxSockets: 4, resolver });

  beforeAll(async () => {
    v4 = await listen((_req, res) => res.end('should not be reached'));
    try {
      v6 = await listen((_req, res) => res.end('should not be reached'), '::1');
    } catch {
      v6 = undefined; // No IPv6 loopback on this machine: the literal check still runs.
    }
  });
  afterAll(async () => {
    sender.close();
    await v4.close();
    await v6?.close();
  });

  it.each([
    ['http://127.0.0.1:PORT/x', 'loopback'],
    ['http://localhost:PORT/x', 'loopback'],
    ['http://[::1]:PORT6/x', 'loopback'],
    ['http://[::ffff:127.0.0.1]:PORT/x', 'loopback'],
    ['http://metadata.example:PORT/latest/meta-data', 'linkLocal'],
    ['http://intranet.example:PORT/', 'private'],
  ])('refuses %s without connecting', async (template, range) => {
    const url = template
      .replace('PORT6', String(v6?.port ?? v4.port))
      .replace('PORT', String(v4.port));
    const result = await sender.send(post(url), { timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, errorClass: 'refused_address' });
    expect(!result.ok && result.error).toMatch(new RegExp(`refused.*${range}`));
    expect(classifyHttpOutcome(result)).toBe('error');
    expect(v4.connections).toBe(0);
    expect(v6?.connections ?? 0).toBe(0);
  });

  it('resolves host names through the guarded lookup and retries DNS failures', async () => {
    const result = await sender.send(post('http://unresolvable.example/x'), { timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, errorClass: 'dns' });
    expect(classifyHttpOutcome(result)).toBe('retry');
    expect(lookups).toContain('unresolvable.example');
  });
});
