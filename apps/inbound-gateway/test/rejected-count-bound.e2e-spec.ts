import { createHmac } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';

/**
 * The bound on stored rejected events by count (SPEC §4 "Storing rejected events is
 * rate-bounded per endpoint", issue 26): per endpoint and minute at most its own
 * `rejectedPerMinute` rows, never more than the gateway's REJECTED_EVENTS_PER_MINUTE
 * ceiling; the excess is answered like any forged request and counted in
 * `hookgate_inbound_rejected_unstored_total`, not stored; one endpoint's flood leaves
 * another's budget whole, and a genuine request is still accepted after it. (The byte
 * budget is rejected-budget.e2e-spec.ts.)
 */
jest.setTimeout(60_000);
const CEILING = 3;
const secret = 'count-bound-secret-0123456789';

describe('inbound gateway: rejected events stored within a count per endpoint and minute', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ env: { REJECTED_EVENTS_PER_MINUTE: String(CEILING) } });
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function storedRejected(endpointId: string): Promise<number> {
    const [row] = await query<{ count: number }>(
      process.env.DATABASE_URL!,
      `SELECT count(*)::int AS count FROM inbound_events WHERE endpoint_id = $1 AND state = 'rejected'`,
      [endpointId],
    );
    return row.count;
  }

  async function unstored(endpointId: string): Promise<number> {
    const text = await (await fetch(`${harness.inboundMetricsUrl}/metrics`)).text();
    // Labelled with the endpoint and the app's default label, in either order.
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('hookgate_inbound_rejected_unstored_total{') &&
          l.includes(`endpoint="${endpointId}"`),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  }

  const forge = (url: string, n: number) =>
    post(harness, url, JSON.stringify({ forged: n }), { 'x-hub-signature-256': 'sha256=00' });

  it('stores up to the endpoint’s own limit and the gateway’s ceiling, and counts the rest', async () => {
    const handler = await createHandler(harness, {});
    const signature = { mode: 'hmac', preset: 'github', secret };
    const own = await createInboundEndpoint(harness, {
      handler: handler.code,
      signature,
      rejectedPerMinute: 2,
    });
    // Its own limit (60 by default) is above the gateway's ceiling: the ceiling holds.
    const capped = await createInboundEndpoint(harness, { handler: handler.code, signature });
    const spared = await createInboundEndpoint(harness, {
      handler: handler.code,
      signature,
      rejectedPerMinute: 2,
    });

    // The budget is per minute: start well inside one, so every request shares a window.
    const seconds = new Date().getUTCSeconds();
    if (seconds > 50) await new Promise((resolve) => setTimeout(resolve, (61 - seconds) * 1000));

    const statuses: number[] = [];
    for (let n = 0; n < 8; n++) statuses.push((await forge(own.url, n)).status);
    for (let n = 0; n < 8; n++) statuses.push((await forge(capped.url, n)).status);
    // Excess is answered exactly like stored rejections.
    expect(statuses).toEqual(Array(16).fill(401));

    expect(await storedRejected(own.id)).toBe(2);
    expect(await unstored(own.id)).toBe(6);
    expect(await storedRejected(capped.id)).toBe(CEILING);
    expect(await unstored(capped.id)).toBe(8 - CEILING);

    // Another endpoint's budget is its own.
    expect((await forge(spared.url, 0)).status).toBe(401);
    expect(await storedRejected(spared.id)).toBe(1);
    expect(await unstored(spared.id)).toBe(0);

    // A genuine request after the flood is accepted: rejections hold no identity.
    const body = JSON.stringify({ genuine: true });
    const genuine = await post(harness, own.url, body, {
      'x-github-delivery': 'genuine-delivery-1',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    });
    expect(genuine).toMatchObject({ status: 202, body: { state: 'received' } });
    expect(await storedRejected(own.id)).toBe(2);
  });
});
