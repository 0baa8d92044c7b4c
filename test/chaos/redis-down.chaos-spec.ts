import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { recordingEndpoint, tallyInbound, unfinished } from './support/inbound';
import { postJson, runPool } from './support/load';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §9, "Redis down → the gateway still accepts": the scenario's own Redis is killed
 * (kill -9, no persistence: every queued job is gone too) while webhooks keep arriving.
 * Each must still be answered 202 with its row waiting as `received`; when an empty Redis
 * comes back on the same port the reconciler enqueues the backlog and it drains to `done`.
 */
jest.setTimeout(sized(300_000, 90_000));

const OUTAGE_MS = sized(30_000, 4_000);
const BEFORE = sized(1_000, 60);
const CONCURRENCY = 16;

describe('chaos: Redis unavailable', () => {
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

  it(`keeps answering 202 through a ${OUTAGE_MS / 1000} s Redis outage and drains the backlog`, async () => {
    const code = `redisdown-${Date.now().toString(36)}`;
    const { url, model } = await recordingEndpoint(stack, code);
    const acknowledged: string[] = [];
    const duringIds: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    const send = async (during: boolean) => {
      const n = sent++;
      const answer = await postJson(url, { n }, { 'x-delivery-id': `${code}-${n}` });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 202) {
        acknowledged.push(answer.body.id);
        if (during) duringIds.push(answer.body.id);
      }
    };
    // Traffic before the outage, with jobs queued in the Redis about to die.
    await runPool(BEFORE, CONCURRENCY, () => send(false));

    await redis.kill();
    const until = Date.now() + OUTAGE_MS;
    let slowest = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < until) {
          const started = Date.now();
          await send(true);
          slowest = Math.max(slowest, Date.now() - started);
        }
      }),
    );
    // Nothing can have run: the rows wait as `received`.
    const waiting = (await tallyInbound(code, model)).byState.received ?? 0;
    const unfinishedDuring = (await unfinished(duringIds)).length;

    await redis.restart();
    const restartedAt = Date.now();
    await waitFor(async () => ((await unfinished(acknowledged)).length === 0 ? true : undefined), {
      timeoutMs: sized(240_000, 60_000),
      intervalMs: 250,
      what: 'the backlog drained',
    }).catch(() => undefined);
    const drainMs = Date.now() - restartedAt;
    const lost = await unfinished(acknowledged);
    const tally = await tallyInbound(code, model);
    report('redis-down', {
      sent,
      acknowledged: acknowledged.length,
      stored: tally.stored,
      processed: tally.byState.done ?? 0,
      lost: lost.length,
      duplicatedEffect: tally.records - tally.distinctRecordEvents,
      extra: {
        outageMs: OUTAGE_MS,
        acceptedDuringOutage: duringIds.length,
        receivedWaitingAtRestart: waiting,
        slowestAnswerDuringOutageMs: slowest,
        drainMs,
        statuses: JSON.stringify(Object.fromEntries(statuses)),
      },
    });
    expect(stack.crashes()).toEqual([]);
    expect(Object.fromEntries(statuses)).toEqual({ 202: sent });
    expect(duringIds.length).toBeGreaterThan(0);
    expect(unfinishedDuring).toBe(duringIds.length);
    expect(lost).toEqual([]);
    expect(tally.stored).toBe(sent);
    expect(tally.byState.done).toBe(sent);
    expect(tally.records).toBe(sent);
    expect(tally.distinctRecordEvents).toBe(sent);
  });
});
