import { query } from '../support/database';
import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { recordingEndpoint, tallyInbound, unfinished } from './support/inbound';
import { postJson, runPool, sleep } from './support/load';
import { PgProxy } from './support/pg-proxy';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §4/§9, "Postgres unavailable → 503": the gateway reaches Postgres through a TCP
 * proxy the scenario controls (the shared server is never touched). With the proxy cut,
 * every webhook answers 503 and nothing is stored; when it is restored the same gateway
 * process accepts again by itself and processes what it accepted.
 */
jest.setTimeout(sized(300_000, 90_000));

const OUTAGE_MS = sized(30_000, 3_000);
const AFTER = sized(2_000, 100);
const CONCURRENCY = 16;

describe('chaos: Postgres unavailable', () => {
  let redis: PrivateRedis;
  let proxy: PgProxy;
  let stack: Stack;

  beforeAll(async () => {
    const db = new URL(process.env.DATABASE_URL!);
    proxy = await PgProxy.start({ host: db.hostname, port: Number(db.port || 5432) });
    redis = await PrivateRedis.start();
    stack = await Stack.start({
      redisUrl: redis.url,
      apps: ['admin', 'inbound-gateway'],
      appEnv: { 'inbound-gateway': { DATABASE_URL: proxy.rewrite(process.env.DATABASE_URL!) } },
    });
  });

  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('answers 503 to every request while Postgres is away, none 2xx, and recovers by itself', async () => {
    const code = `pgdown-${Date.now().toString(36)}`;
    const { url, model } = await recordingEndpoint(stack, code);
    // Warm: the endpoint is in the gateway's cache, so the outage hits the insert itself.
    const warm = await postJson(url, { n: -1 }, { 'x-delivery-id': `${code}-warm` });
    expect(warm.status).toBe(202);
    // The warm-up and probe events are counted in the final tally, so wait for them too:
    // the cut can catch either of them mid-processing, and it is then retried later.
    const ownEvents: string[] = [warm.body.id];

    proxy.cut();
    const during = new Map<number, number>();
    let sentDuring = 0;
    let readyDuring = 0;
    const until = Date.now() + OUTAGE_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < until) {
          const n = sentDuring++;
          const answer = await postJson(
            url,
            { n, during: true },
            { 'x-delivery-id': `${code}-d${n}` },
          );
          during.set(answer.status, (during.get(answer.status) ?? 0) + 1);
        }
      }),
    );
    const ready = await fetch(`${stack.inboundUrl}/health/ready`);
    readyDuring = ready.status;
    const [storedDuring] = await query<{ n: number }>(
      process.env.DATABASE_URL!,
      `SELECT count(*)::int AS n FROM inbound_events WHERE endpoint_path = $1 AND payload ? 'during'`,
      [code],
    );

    proxy.restore();
    const restoredAt = Date.now();
    await waitFor(
      async () => {
        const probe = await postJson(url, { n: -2 }, { 'x-delivery-id': `${code}-probe` });
        if (probe.status !== 202) return undefined;
        ownEvents.push(probe.body.id);
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the gateway accepting again' },
    );
    const recoveryMs = Date.now() - restoredAt;

    const acknowledged: string[] = [];
    let notAccepted = 0;
    await runPool(AFTER, CONCURRENCY, async (n) => {
      const answer = await postJson(url, { n }, { 'x-delivery-id': `${code}-a${n}` });
      if (answer.status === 202) acknowledged.push(answer.body.id);
      else notAccepted += 1;
    });
    await waitFor(
      async () =>
        (await unfinished([...acknowledged, ...ownEvents])).length === 0 ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 500, what: 'accepted events final' },
    ).catch(() => undefined);
    const lost = await unfinished([...acknowledged, ...ownEvents]);
    const tally = await tallyInbound(code, model);
    const twoXxDuring = [...during]
      .filter(([s]) => s >= 200 && s < 300)
      .reduce((a, [, n]) => a + n, 0);
    report('postgres-down', {
      sent: sentDuring + AFTER,
      acknowledged: acknowledged.length,
      stored: tally.stored - 2,
      processed: (tally.byState.done ?? 0) - 2,
      lost: lost.length,
      duplicatedEffect: tally.records - tally.distinctRecordEvents,
      extra: {
        outageMs: OUTAGE_MS,
        sentDuringOutage: sentDuring,
        answered503: during.get(503) ?? 0,
        answered2xxDuringOutage: twoXxDuring,
        otherDuringOutage: sentDuring - (during.get(503) ?? 0) - twoXxDuring,
        storedDuringOutage: storedDuring.n,
        readyDuringOutage: readyDuring,
        recoveryMs,
        notAcceptedAfter: notAccepted,
      },
    });
    expect(stack.crashes()).toEqual([]);
    expect(Object.fromEntries(during)).toEqual({ 503: sentDuring });
    expect(storedDuring.n).toBe(0);
    expect(readyDuring).toBe(503);
    expect(notAccepted).toBe(0);
    expect(acknowledged).toHaveLength(AFTER);
    expect(lost).toEqual([]);
    expect(tally.records).toBe(tally.distinctRecordEvents);
    expect(tally.byState.done).toBe(AFTER + 2);
    await sleep(0);
  });
});
