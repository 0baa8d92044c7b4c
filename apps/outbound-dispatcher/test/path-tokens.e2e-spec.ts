import { HookgatePublisher } from '@app/messaging';
import { startHarness, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 21 item 4 through the real dispatcher to a loopback sink: with
 * `targetPath: /tenants/{t}/orders/{id}` and `t = ".."` the sink once received
 * `POST /orders/7`, with the endpoint's credentials. A token's value is one path segment:
 * a dot segment is refused (the delivery ends in `error`, the reason names the token, the
 * sink sees nothing), and `/`, `?`, `#` inside a value are encoded, not interpreted.
 */
jest.setTimeout(90_000);
const db = () => process.env.DATABASE_URL!;
const TEMPLATE = '/tenants/{t}/orders/{id}';
const TOKEN = 'path-token-secret-0123456789';

describe('outbound path tokens', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  async function endpoint(): Promise<string> {
    const code = unique('tok');
    const res = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        targetPath: TEMPLATE,
        auth: { type: 'bearer', token: TOKEN },
        retryPolicy: { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 5 },
      }),
    });
    if (res.status !== 201)
      throw new Error(`outbound endpoint not created: ${res.status} ${JSON.stringify(res.body)}`);
    return code;
  }

  async function settled(code: string) {
    return waitFor(
      async () => {
        const [row] = await query<{
          id: string;
          state: string;
          attempts: number;
          last_error: string | null;
        }>(
          db(),
          `SELECT id, state, attempts, last_error FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        return row && ['done', 'error', 'dead_letter', 'canceled'].includes(row.state)
          ? row
          : undefined;
      },
      { timeoutMs: 60_000, what: `the delivery of ${code} to settle` },
    );
  }

  it.each([['..'], ['.'], ['%2e%2e'], ['%2E.'], ['.%2e']])(
    't = %p: the delivery ends in error naming the token, the sink receives nothing',
    async (t) => {
      const before = sink.requests.length;
      const code = await endpoint();
      await publisher.deliver({ endpoint: code, payload: { n: 1 }, context: { t, id: '7' } });
      const delivery = await settled(code);
      expect(delivery.state).toBe('error');
      expect(delivery.attempts).toBeLessThanOrEqual(1);
      expect(delivery.last_error).toContain('{t}');
      expect(delivery.last_error).toMatch(/dot segment/);
      expect(sink.requests.slice(before)).toEqual([]);
      expect(sink.requests.some((r) => r.url.startsWith('/orders'))).toBe(false);
    },
  );

  it('encodes /, ? and # inside a token as data in one segment', async () => {
    const code = await endpoint();
    const before = sink.requests.length;
    await publisher.deliver({
      endpoint: code,
      payload: { n: 2 },
      context: { t: '../x?y=1#z', id: '7/../../8' },
    });
    const delivery = await settled(code);
    expect(delivery.state).toBe('done');
    const received = sink.requests.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0].url).toBe('/tenants/..%2Fx%3Fy%3D1%23z/orders/7%2F..%2F..%2F8');
    expect(received[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});
