import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HookgatePublisher } from '@app/messaging';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 21, item 14: one slow sink must not hold every dispatcher slot. 70 deliveries go
 * to an endpoint whose sink holds each request open until the test lets go (the old
 * dispatcher put 64 of them in flight at once, DISPATCHER_CONCURRENCY, and every other
 * tenant's deliveries waited behind them). With DISPATCHER_ENDPOINT_CONCURRENCY=8: another
 * tenant's deliveries are sent while the slow ones are held, the slow sink never sees more
 * than 8 at once, deliveries over the cap are put back without counting an attempt, and
 * after the sink lets go every delivery ends `done` with exactly one attempt and one request.
 */
jest.setTimeout(240_000);
const db = () => process.env.DATABASE_URL!;
const CAP = 8;
const SLOW = 70;
const FAST = 10;

/** A loopback sink that holds every request open until `release()` (or 90 s pass). */
interface HoldingSink {
  url: string;
  open: number;
  maxOpen: number;
  received: number[];
  release(): void;
  close(): Promise<void>;
}

async function startHoldingSink(): Promise<HoldingSink> {
  const waiting: Array<() => void> = [];
  let released = false;
  const sink = {
    open: 0,
    maxOpen: 0,
    received: [] as number[],
  } as HoldingSink;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.open += 1;
      sink.maxOpen = Math.max(sink.maxOpen, sink.open);
      sink.received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { n: number }).n);
      const answer = () => {
        sink.open -= 1;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      if (released) answer();
      else {
        const safety = setTimeout(answer, 90_000);
        waiting.push(() => {
          clearTimeout(safety);
          answer();
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.release = () => {
    released = true;
    for (const answer of waiting.splice(0)) answer();
  };
  sink.close = () =>
    new Promise<void>((resolve) => {
      sink.release();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

describe('dispatcher: per-endpoint in-flight cap', () => {
  let harness: Harness;
  let slow: HoldingSink;
  let fast: Sink;
  let publisher: HookgatePublisher;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: {
        OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
        DISPATCHER_CONCURRENCY: '64',
        DISPATCHER_ENDPOINT_CONCURRENCY: String(CAP),
      },
    });
    slow = await startHoldingSink();
    fast = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await slow?.close();
    await fast?.close();
    await harness?.close();
  });

  async function create(path: string, body: unknown, key = TEST_ADMIN_KEY): Promise<any> {
    const res = await harness.admin(path, { body, key });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function deliveries(code: string) {
    return query<{ id: string; state: string; attempts: number; tries: string }>(
      db(),
      `SELECT d.id, d.state, d.attempts,
              (SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id) AS tries
         FROM deliveries d WHERE d.endpoint_code = $1`,
      [code],
    );
  }

  it('keeps another tenant flowing while a slow sink holds its cap, and sends everything once', async () => {
    const slowCode = unique('slow');
    await create(
      '/outbound-endpoints',
      sinkEndpointBody(slowCode, slow.url, { timeoutMs: 120_000 }),
    );
    const other = await create('/tenants', { name: unique('other-tenant'), retentionDays: 7 });
    const fastCode = unique('fast');
    await create('/outbound-endpoints', sinkEndpointBody(fastCode, fast.url), other.adminKey.key);

    for (let n = 0; n < SLOW; n += 1) {
      await publisher.deliver({ endpoint: slowCode, payload: { n }, idempotencyKey: `s-${n}` });
    }
    // The slow endpoint's cap is in flight, and the rest have been tried and put back.
    await waitFor(async () => (slow.open >= CAP ? true : undefined), {
      timeoutMs: 60_000,
      what: `${CAP} requests held at the slow sink (open: ${slow.open})`,
    });
    await waitFor(
      async () => {
        const rows = await deliveries(slowCode);
        return rows.length === SLOW && rows.filter((r) => r.state === 'queued').length > 0
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, what: 'slow deliveries claimed and put back' },
    );
    // Let every slow delivery be claimed at least once before the other tenant publishes.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const started = Date.now();
    for (let n = 0; n < FAST; n += 1) {
      await publisher.deliver({
        endpoint: fastCode,
        tenant: other.tenant.name,
        payload: { n },
        idempotencyKey: `f-${n}`,
      });
    }
    // Generous: the point is that they finish while every slow request is still held.
    const fastRows = await waitFor(
      async () => {
        const rows = await deliveries(fastCode);
        return rows.length === FAST && rows.every((r) => r.state === 'done') ? rows : undefined;
      },
      {
        timeoutMs: 45_000,
        what: `${FAST} deliveries of the other tenant done while the slow sink holds`,
      },
    );
    const fastSeconds = (Date.now() - started) / 1000;
    expect(fast.requests).toHaveLength(FAST);
    expect(fastRows.every((r) => r.attempts === 1 && Number(r.tries) === 1)).toBe(true);

    // Still held: nothing of the slow endpoint has finished, none has more than its cap in
    // flight, and the deliveries put back did not use an attempt.
    const held = await deliveries(slowCode);
    expect(held.filter((r) => r.state === 'done')).toHaveLength(0);
    expect(held.filter((r) => r.state === 'processing').length).toBeLessThanOrEqual(CAP);
    expect(held.filter((r) => r.state === 'queued').every((r) => r.attempts === 0)).toBe(true);
    expect(held.every((r) => Number(r.tries) === 0)).toBe(true);
    expect(slow.maxOpen).toBeLessThanOrEqual(CAP);

    slow.release();
    const done = await waitFor(
      async () => {
        const rows = await deliveries(slowCode);
        return rows.length === SLOW && rows.every((r) => r.state === 'done') ? rows : undefined;
      },
      { timeoutMs: 150_000, what: `${SLOW} slow deliveries done after the sink lets go` },
    );
    expect(done.every((r) => r.attempts === 1 && Number(r.tries) === 1)).toBe(true);
    expect([...slow.received].sort((a, b) => a - b)).toEqual(
      Array.from({ length: SLOW }, (_, n) => n),
    );
    expect(slow.maxOpen).toBeLessThanOrEqual(CAP);
    process.stdout.write(
      `endpoint cap ${CAP}: other tenant's ${FAST} done in ${fastSeconds.toFixed(1)} s while held; ` +
        `slow sink max open ${slow.maxOpen}, ${slow.received.length} requests\n`,
    );
  });
});
