import { HookgatePublisher } from '@app/messaging';
import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { startFlappingSink, type FlappingSink } from './support/flapping-sink';
import { attemptsOf, countDeliveries, deliveriesOf, sinkEndpoint } from './support/outbound';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §5: a receiver failing half of the time (500, reset connections, answers slower
 * than the endpoint's timeout). Every delivery must end `done` or `dead_letter` (after
 * `maxAttempts`), and the attempt log in Postgres must match the sink's own log request
 * for request: the same number of attempts per delivery, one success for each `done`.
 */
jest.setTimeout(sized(600_000, 120_000));

const DELIVERIES = sized(2_000, 120);
const MAX_ATTEMPTS = 5;
const TIMEOUT_MS = 300;
const SEED = Number(process.env.CHAOS_SEED ?? 9009);

describe('chaos: flapping sink', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let sink: FlappingSink;
  let publisher: HookgatePublisher | undefined;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    sink = await startFlappingSink({ seed: SEED, failureRate: 0.5, slowMs: TIMEOUT_MS * 3 });
    stack = await Stack.start({
      redisUrl: redis.url,
      apps: ['admin', 'outbound-dispatcher'],
      // No process dies here, so the lease only has to outlast a slow attempt. With the
      // 3 s crash-test lease a dispatcher starved of CPU (2 shared cores) saw deliveries
      // handed out again while its own attempt was still settling: leases are not renewed.
      appEnv: {
        'outbound-dispatcher': { DISPATCHER_CONCURRENCY: '32', PROCESSING_LEASE_SECONDS: '30' },
      },
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await stack?.close();
    await sink?.close();
    await redis?.stop();
  });

  it(`ends every delivery done or dead_letter, attempts matching the sink (seed ${SEED})`, async () => {
    process.stdout.write(`[chaos] flapping-sink seed=${SEED} (CHAOS_SEED=${SEED} replays it)\n`);
    const code = `flap-${Date.now().toString(36)}`;
    await sinkEndpoint(stack, code, sink, {
      timeoutMs: TIMEOUT_MS,
      maxAttempts: MAX_ATTEMPTS,
    });
    publisher = new HookgatePublisher({ redisUrl: redis.url, prefix: process.env.QUEUE_PREFIX });
    await Promise.all(
      Array.from({ length: DELIVERIES }, (_, n) =>
        publisher!.deliver({ endpoint: code, payload: { n }, idempotencyKey: `${code}-${n}` }),
      ),
    );
    await waitFor(
      async () =>
        (await countDeliveries(code, ['done', 'dead_letter', 'error'])) === DELIVERIES
          ? true
          : undefined,
      { timeoutMs: sized(480_000, 90_000), intervalMs: 500, what: 'every delivery final' },
    ).catch(() => undefined);
    // Late answers to timed-out requests must not add anything: settle, then count.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 4));

    const deliveries = await deliveriesOf(code);
    const attempts = await attemptsOf(code);
    const sinkCount = new Map<string, number>();
    const sinkOk = new Map<string, number>();
    for (const entry of sink.log) {
      sinkCount.set(entry.id, (sinkCount.get(entry.id) ?? 0) + 1);
      if (entry.fate === 'ok') sinkOk.set(entry.id, (sinkOk.get(entry.id) ?? 0) + 1);
    }
    const successes = new Map<string, number>();
    for (const attempt of attempts) {
      if (attempt.outcome === 'success')
        successes.set(attempt.delivery_id, (successes.get(attempt.delivery_id) ?? 0) + 1);
    }
    const byState: Record<string, number> = {};
    for (const d of deliveries) byState[d.state] = (byState[d.state] ?? 0) + 1;
    const mismatched = deliveries.filter((d) => d.attempts !== (sinkCount.get(d.id) ?? 0));
    const fates: Record<string, number> = {};
    for (const entry of sink.log) fates[entry.fate] = (fates[entry.fate] ?? 0) + 1;
    const notFinal = deliveries.filter((d) => d.state !== 'done' && d.state !== 'dead_letter');
    report('flapping-sink', {
      sent: DELIVERIES,
      acknowledged: DELIVERIES,
      stored: deliveries.length,
      processed: (byState.done ?? 0) + (byState.dead_letter ?? 0),
      delivered: byState.done ?? 0,
      lost: DELIVERIES - deliveries.length + notFinal.length,
      duplicatedEffect: [...sinkOk.values()].filter((n) => n > 1).length,
      extra: {
        seed: SEED,
        done: byState.done ?? 0,
        deadLetter: byState.dead_letter ?? 0,
        attempts: attempts.length,
        sinkRequests: sink.log.length,
        sinkFates: JSON.stringify(fates),
        attemptCountMismatches: mismatched.length,
      },
    });
    if (mismatched.length > 0) {
      process.stdout.write(
        `[chaos] mismatches: ${JSON.stringify(
          mismatched.slice(0, 10).map((d) => ({
            id: d.id,
            attempts: d.attempts,
            sink: sink.log.filter((e) => e.id === d.id).map((e) => e.fate),
          })),
        )}\n`,
      );
    }
    expect(stack.crashes()).toEqual([]);
    expect(deliveries).toHaveLength(DELIVERIES);
    expect(notFinal.map((d) => `${d.id}:${d.state}`)).toEqual([]);
    expect(mismatched).toEqual([]);
    for (const d of deliveries) {
      if (d.state === 'done') {
        expect(successes.get(d.id)).toBe(1);
        expect(sinkOk.get(d.id)).toBe(1);
      } else {
        expect(d.attempts).toBe(MAX_ATTEMPTS);
        expect(successes.get(d.id)).toBeUndefined();
      }
    }
  });
});
