import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { recordingEndpoint, tallyInbound, unfinished } from './support/inbound';
import { postJson, runPool } from './support/load';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §9, "Redis is transport": FLUSHALL twice on the scenario's own Redis while events
 * arrive. Every acknowledged event must still reach a final state (the reconciler
 * re-enqueues from Postgres) and be processed once (one record per event).
 */
jest.setTimeout(sized(600_000, 120_000));

const TOTAL = sized(10_000, 600);
const CONCURRENCY = 32;

describe('chaos: Redis flushed mid-run', () => {
  let redis: PrivateRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await Stack.start({ redisUrl: redis.url, apps: ['admin', 'inbound-gateway'] });
  });

  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('loses no acknowledged event when FLUSHALL runs twice', async () => {
    const code = `flush-${Date.now().toString(36)}`;
    const { url, model } = await recordingEndpoint(stack, code);
    const acknowledged: string[] = [];
    let other = 0;
    let flushes = 0;
    const flush = async () => {
      await redis.flushAll();
      flushes += 1;
    };
    await runPool(
      TOTAL,
      CONCURRENCY,
      async (n) => {
        const answer = await postJson(url, { n }, { 'x-delivery-id': `${code}-${n}` });
        if (answer.status === 202) acknowledged.push(answer.body.id);
        else other += 1;
      },
      [
        { at: Math.floor(TOTAL / 3), run: flush },
        { at: Math.floor((2 * TOTAL) / 3), run: flush },
      ],
    );
    expect(flushes).toBe(2);

    await waitFor(async () => ((await unfinished(acknowledged)).length === 0 ? true : undefined), {
      timeoutMs: sized(300_000, 90_000),
      intervalMs: 500,
      what: 'every acknowledged event final',
    }).catch(() => undefined);
    const lost = await unfinished(acknowledged);
    const tally = await tallyInbound(code, model);
    report('redis-flush', {
      sent: TOTAL,
      acknowledged: acknowledged.length,
      stored: tally.stored,
      processed: tally.byState.done ?? 0,
      lost: lost.length,
      duplicatedEffect: tally.records - tally.distinctRecordEvents,
      extra: { flushes, notAcknowledged: other },
    });
    expect(stack.crashes()).toEqual([]);
    expect(other).toBe(0);
    expect(acknowledged).toHaveLength(TOTAL);
    expect(lost).toEqual([]);
    expect(tally.stored).toBe(TOTAL);
    expect(tally.byState.done).toBe(TOTAL);
    expect(tally.records).toBe(TOTAL);
    expect(tally.distinctRecordEvents).toBe(TOTAL);
  });
});
