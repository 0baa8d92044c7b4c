import { createHash } from 'node:crypto';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint } from '../../../test/support/fixtures';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../test/support/processes';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 21, item 9: rejected requests were stored whole (body up to the endpoint's limit,
 * headers), 60 per minute per endpoint *per gateway process*. Now two gateways sharing
 * Postgres and Redis store, together, at most REJECTED_BYTES_PER_MINUTE bytes of one
 * endpoint's rejected requests per minute, and each stored body is the first
 * REJECTED_BODY_PREFIX_BYTES of what was sent, with the whole body's size and SHA-256.
 */
jest.setTimeout(180_000);
const BUDGET = 20_000;
const PREFIX = 1024;
const BODY = 20_000;
const PER_GATEWAY = 30;
const env = {
  REJECTED_BYTES_PER_MINUTE: String(BUDGET),
  REJECTED_BODY_PREFIX_BYTES: String(PREFIX),
  REJECTED_EVENTS_PER_MINUTE: '1000',
};

describe('inbound gateway: rejected requests within a shared byte budget', () => {
  let harness: Harness;
  let second: RunningApp | undefined;
  let secondUrl: string;

  beforeAll(async () => {
    harness = await startHarness({ env });
    const port = await freePort();
    second = spawnApp('inbound-gateway', {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      LOG_LEVEL: 'warn',
      INBOUND_PORT: String(port),
      ...env,
    });
    secondUrl = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => ((await fetch(`${secondUrl}/health/ready`)).status === 200 ? true : undefined),
      { timeoutMs: 60_000, what: `second gateway ready: ${second.output()}` },
    );
  });

  afterAll(async () => {
    if (second) await stopApp(second);
    await harness?.close();
  });

  /** A distinct JSON body of exactly BODY bytes. */
  function body(n: number): Buffer {
    const head = `{"n":${n},"pad":"`;
    return Buffer.from(head + 'x'.repeat(BODY - head.length - 2) + '"}');
  }

  it('stores, across both gateways, at most the budget: bounded prefixes with size and digest', async () => {
    const handler = await createHandler(harness, {});
    const endpoint = await createInboundEndpoint(harness, {
      handler: handler.code,
      signature: { mode: 'hmac', preset: 'github', secret: 'budget-secret-0123456789' },
      rejectedPerMinute: 1000,
    });
    // The budget is per minute: start well inside one, so all requests share a window.
    const seconds = new Date().getUTCSeconds();
    if (seconds > 35) await new Promise((resolve) => setTimeout(resolve, (61 - seconds) * 1000));

    const bodies = new Map<string, Buffer>();
    const sends: Array<Promise<number>> = [];
    for (let n = 0; n < 2 * PER_GATEWAY; n += 1) {
      const sent = body(n);
      bodies.set(createHash('sha256').update(sent).digest('hex'), sent);
      const base = n % 2 === 0 ? harness.inboundUrl : secondUrl;
      sends.push(
        fetch(`${base}${endpoint.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
          body: sent,
        }).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        }),
      );
      if (sends.length % 10 === 0) await Promise.all(sends.slice(-10));
    }
    expect(await Promise.all(sends)).toEqual(Array(2 * PER_GATEWAY).fill(401));

    const rows = await query<{
      id: string;
      raw_body: Buffer;
      headers: unknown;
      query: unknown;
      url: string;
      reject_reason: string;
      body_size: number;
      body_sha256: string;
    }>(
      process.env.DATABASE_URL!,
      `SELECT id, raw_body, headers, query, url, reject_reason, body_size, body_sha256
         FROM inbound_events WHERE endpoint_id = $1 AND state = 'rejected'`,
      [endpoint.id],
    );
    const stored = rows.reduce(
      (sum, r) =>
        sum +
        r.raw_body.length +
        Buffer.byteLength(JSON.stringify(r.headers)) +
        Buffer.byteLength(JSON.stringify(r.query)) +
        Buffer.byteLength(r.url) +
        Buffer.byteLength(r.reject_reason),
      0,
    );
    process.stdout.write(
      `rejected budget: ${2 * PER_GATEWAY} forged requests of ${BODY} B to two gateways; ` +
        `${rows.length} stored, ${stored} B of a ${BUDGET} B budget\n`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(BUDGET);
    expect(rows.reduce((sum, r) => sum + r.raw_body.length, 0)).toBeLessThanOrEqual(BUDGET);
    for (const row of rows) {
      const sent = bodies.get(row.body_sha256);
      expect(sent).toBeDefined();
      expect(row.body_size).toBe(BODY);
      expect(row.raw_body.equals(sent!.subarray(0, PREFIX))).toBe(true);
    }

    const view = await harness.admin(`/inbound-events/${rows[0].id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      state: 'rejected',
      bodySize: BODY,
      bodySha256: rows[0].body_sha256,
      rawBody: { bytes: PREFIX },
    });
  });
});
