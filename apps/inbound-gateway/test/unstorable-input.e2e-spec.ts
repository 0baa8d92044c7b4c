import { connect } from 'node:net';
import { Queue } from 'bullmq';
import { QueueName } from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';

/**
 * Issue 21 item 5, inbound side: characters Postgres cannot store (NUL; unpaired UTF-16
 * surrogates, which `jsonb` refuses) arriving in a header value, a query key or value, or
 * a JSON string. Each must end as a stored event (those characters as U+FFFD) or a clear
 * 4xx — never a 5xx, and never a lost rejected request. Requests go over a raw socket, so
 * the bytes are exactly those written here (fetch would refuse some of them).
 */
const R = '\ufffd';

async function rawPost(
  baseUrl: string,
  target: string,
  headerLines: Buffer[],
  body: Buffer,
): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(baseUrl);
  const head = Buffer.concat([
    Buffer.from(`POST ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: close\r\n`),
    ...headerLines.map((line) => Buffer.concat([line, Buffer.from('\r\n')])),
    Buffer.from(`content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`),
  ]);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.write(Buffer.concat([head, body]));
  });
  const text = answer.toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const payload = text.slice(text.indexOf('\r\n\r\n') + 4);
  let parsed: unknown = payload;
  try {
    parsed = JSON.parse(payload);
  } catch {
    // not JSON (or chunked): keep the text
  }
  return { status, body: parsed };
}

describe('inbound input Postgres cannot store as sent', () => {
  let harness: Harness;
  let open: { url: string; path: string };
  let signed: { url: string; path: string };
  // Paused, so the stored events stay `received` while they are read back (the worker
  // would otherwise race the reads and settle them).
  let jobs: Queue;

  beforeAll(async () => {
    jobs = new Queue(QueueName.InboundEvents, {
      connection: { url: process.env.REDIS_URL! },
      prefix: process.env.QUEUE_PREFIX,
    });
    await jobs.pause();
    harness = await startHarness();
    const handler = (await createHandler(harness, {})).code;
    open = await createInboundEndpoint(harness, { handler, signature: { mode: 'none' } });
    signed = await createInboundEndpoint(harness, {
      handler,
      signature: { mode: 'hmac', preset: 'github', secret: 'gh-secret-0123456789' },
    });
  });

  afterAll(async () => {
    await harness?.close();
    await jobs.resume();
    await jobs.close();
  });

  async function stored(id: string) {
    const [row] = await query<{
      state: string;
      headers: Record<string, string>;
      query: Record<string, unknown>;
      payload: unknown;
      url: string;
      reject_reason: string | null;
    }>(
      process.env.DATABASE_URL!,
      `SELECT state, headers, query, payload, url, reject_reason FROM inbound_events WHERE id = $1`,
      [id],
    );
    return row;
  }

  const oddHeader = Buffer.concat([
    Buffer.from('x-odd: a'),
    Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
    Buffer.from('z'),
  ]);
  const nulHeader = Buffer.concat([Buffer.from('x-nul: a'), Buffer.from([0]), Buffer.from('b')]);
  const jsonWithNul = Buffer.from('{"a":"x\\u0000y","b":"\\ud800","c":"\\udc00z","\\u0000k":1}');
  const target = (url: string) => `${url}?q=%00&%00k=v&s=%ED%A0%80&ok=1`;

  it('stores an accepted event with NUL in its query and JSON strings and odd header bytes', async () => {
    const res = await rawPost(harness.inboundUrl, target(open.url), [oddHeader], jsonWithNul);
    expect(res.status).toBe(202);
    const row = await stored(res.body.id);
    expect(row.state).toBe('received');
    expect(row.query).toEqual({ q: R, [`${R}k`]: 'v', s: `${R}${R}${R}`, ok: '1' });
    expect(row.payload).toEqual({ a: `x${R}y`, b: R, c: `${R}z`, [`${R}k`]: 1 });
    expect(row.headers['x-odd']).toBe('a\u00ff\u00c3(\u00ed\u00a0\u0080z');
  });

  it('stores the rejected request of the same input (401, not 5xx)', async () => {
    const res = await rawPost(harness.inboundUrl, target(signed.url), [oddHeader], jsonWithNul);
    expect(res.status).toBe(401);
    const [row] = await query<{ id: string }>(
      process.env.DATABASE_URL!,
      `SELECT id FROM inbound_events WHERE endpoint_path = $1 AND state = 'rejected'`,
      [signed.path],
    );
    const rejected = await stored(row.id);
    expect(rejected.query).toEqual({ q: R, [`${R}k`]: 'v', s: `${R}${R}${R}`, ok: '1' });
    expect(rejected.headers['x-odd']).toBe('a\u00ff\u00c3(\u00ed\u00a0\u0080z');
  });

  it('answers a NUL in a header value with a 400 from the HTTP parser, and keeps serving', async () => {
    const res = await rawPost(harness.inboundUrl, open.url, [nulHeader], Buffer.from('{}'));
    expect(res.status).toBe(400);
    const after = await rawPost(harness.inboundUrl, open.url, [], Buffer.from('{}'));
    expect(after.status).toBe(202);
  });
});
