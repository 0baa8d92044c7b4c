import { HookgatePublisher } from '@app/messaging';
import { query } from '../support/database';
import { startSink, type Sink } from '../support/sink';
import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { recordingEndpoint, tallyInbound, unfinished } from './support/inbound';
import { postJson, runPool, sleep } from './support/load';
import {
  attemptsOf,
  countDeliveries,
  deliveriesOf,
  sinkEndpoint,
  sinkLog,
} from './support/outbound';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §9, "worker killed mid-job → the item is processed again": the gateway (receiver
 * and inbound worker) and the dispatcher are both killed with SIGKILL five times while
 * inbound events with upserts arrive and outbound deliveries go to a slow sink.
 *
 * Inbound: the sender behaves like a provider, retrying with the same delivery id when a
 * dying gateway drops its request; every acknowledged event must end `done` and the
 * records hold each event exactly once (one record per `n`, written by that event).
 * Outbound: every delivery ends `done` with exactly one successful attempt and reached
 * the sink; a delivery the sink saw more than once must have an `interrupted` attempt
 * (at-least-once: the request was cut short by the kill). Those repeats are counted and
 * printed.
 */
jest.setTimeout(sized(900_000, 150_000));

const INBOUND = sized(5_000, 200);
const OUTBOUND = sized(5_000, 200);
const KILLS = 5;
/** Inbound events are spread over this long, across the kills. */
const SEND_SPAN_MS = sized(60_000, 12_000);
/** Longest wait for progress before a kill (it kills anyway after). */
const KILL_WAIT_MS = sized(20_000, 5_000);
const LEASE_SECONDS = 3;

describe('chaos: worker kill -9', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let sink: Sink;
  let publisher: HookgatePublisher | undefined;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    sink = await startSink();
    sink.fallback = { status: 200, body: 'ok', delayMs: 100 };
    stack = await Stack.start({
      redisUrl: redis.url,
      apps: ['admin', 'inbound-gateway', 'outbound-dispatcher'],
      env: { PROCESSING_LEASE_SECONDS: String(LEASE_SECONDS) },
      appEnv: {
        'outbound-dispatcher': { DISPATCHER_CONCURRENCY: '16' },
        'inbound-gateway': { INBOUND_WORKER_CONCURRENCY: '8' },
      },
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await stack?.close();
    await sink?.close();
    await redis?.stop();
  });

  it(`loses nothing across ${KILLS} kill -9 of both workers`, async () => {
    const code = `kill-${Date.now().toString(36)}`;
    const { url, model } = await recordingEndpoint(stack, code, 'upsert_record');
    await sinkEndpoint(stack, code, sink);

    publisher = new HookgatePublisher({ redisUrl: redis.url, prefix: process.env.QUEUE_PREFIX });
    for (let start = 0; start < OUTBOUND; start += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, OUTBOUND - start) }, (_, i) =>
          publisher!.deliver({
            endpoint: code,
            payload: { n: start + i },
            idempotencyKey: `${code}-${start + i}`,
          }),
        ),
      );
    }

    // Inbound senders and the killer run at once.
    const acknowledged = new Map<number, string>();
    let retries = 0;
    // A retry whose first try was committed before the kill gets the original back.
    let duplicateAnswers = 0;
    let sendsDone = false;
    // Paced over SEND_SPAN_MS so the kills also hit the receiver while providers send.
    const sendStart = Date.now();
    const sending = runPool(INBOUND, 16, async (n) => {
      const due = sendStart + (n * SEND_SPAN_MS) / INBOUND;
      if (Date.now() < due) await sleep(due - Date.now());
      for (;;) {
        const answer = await postJson(url, { n }, { 'x-delivery-id': `${code}-${n}` });
        if (answer.status === 200 && answer.body.duplicate) duplicateAnswers += 1;
        if (answer.status === 202 || (answer.status === 200 && answer.body.duplicate)) {
          acknowledged.set(n, answer.body.id);
          return;
        }
        retries += 1;
        await sleep(100);
      }
    }).finally(() => (sendsDone = true));

    // Each kill waits until both workers have made progress since they (re)started, so it
    // lands mid-work, with items `processing` in both, rather than during a boot.
    const killedMidWork: Array<{
      inboundDone: number;
      outboundDone: number;
      inboundProcessing: number;
      outboundProcessing: number;
    }> = [];
    const progress = async () => ({
      inbound: (await tallyInbound(code, model)).byState.done ?? 0,
      outbound: await countDeliveries(code, ['done']),
    });
    const step = Math.max(5, Math.floor(Math.min(INBOUND, OUTBOUND) / (KILLS * 3)));
    for (let kill = 1; kill <= KILLS; kill++) {
      const before = await progress();
      await waitFor(
        async () => {
          const now = await progress();
          return now.inbound >= Math.min(INBOUND, before.inbound + step) &&
            now.outbound >= Math.min(OUTBOUND, before.outbound + step)
            ? true
            : undefined;
        },
        { timeoutMs: KILL_WAIT_MS, intervalMs: 50, what: 'progress before the kill' },
      ).catch(() => undefined);
      const inFlight = await tallyInbound(code, model);
      const outboundProcessing = await countDeliveries(code, ['processing']);
      await Promise.all([stack.kill('inbound-gateway'), stack.kill('outbound-dispatcher')]);
      killedMidWork.push({
        inboundDone: inFlight.byState.done ?? 0,
        outboundDone: await countDeliveries(code, ['done']),
        inboundProcessing: inFlight.byState.processing ?? 0,
        outboundProcessing,
      });
      await Promise.all([stack.startApp('inbound-gateway'), stack.startApp('outbound-dispatcher')]);
    }
    await sending;
    expect(sendsDone).toBe(true);

    const ids = [...acknowledged.values()];
    await waitFor(
      async () =>
        (await unfinished(ids)).length === 0 &&
        (await countDeliveries(code, ['done', 'error', 'dead_letter'])) === OUTBOUND
          ? true
          : undefined,
      { timeoutMs: sized(600_000, 90_000), intervalMs: 500, what: 'everything final' },
    ).catch(() => undefined);

    // Inbound outcome.
    const lostInbound = await unfinished(ids);
    const tally = await tallyInbound(code, model);
    const wrongWriter = await query<{ n: number }>(
      process.env.DATABASE_URL!,
      `SELECT count(*)::int AS n FROM records r
         JOIN inbound_events e ON e.id::text = r.data->>'event'
        WHERE r.model = $1 AND (e.payload->>'n') IS DISTINCT FROM (r.data->>'n')`,
      [model],
    );

    // Outbound outcome, from Postgres and the sink's own log.
    const deliveries = await deliveriesOf(code);
    const attempts = await attemptsOf(code);
    const successes = new Map<string, number>();
    const interrupted = new Set<string>();
    for (const attempt of attempts) {
      if (attempt.outcome === 'success')
        successes.set(attempt.delivery_id, (successes.get(attempt.delivery_id) ?? 0) + 1);
      if (attempt.outcome === 'interrupted') interrupted.add(attempt.delivery_id);
    }
    const seen = sinkLog(sink);
    const done = deliveries.filter((d) => d.state === 'done');
    const delivered = done.filter((d) => (seen.get(d.id)?.length ?? 0) >= 1).length;
    const repeated = [...seen].filter(([, times]) => times.length > 1);
    const unexplainedRepeats = repeated.filter(([id]) => !interrupted.has(id));
    const doubleSuccess = [...successes.values()].filter((n) => n > 1).length;
    if (repeated.length > 0) {
      process.stdout.write(
        `[chaos] worker-kill: ${repeated.length} delivery(ies) sent more than once, each after an interrupted attempt: ${repeated
          .slice(0, 20)
          .map(([id, times]) => `${id}×${times.length}`)
          .join(', ')}${repeated.length > 20 ? ', …' : ''}\n`,
      );
    }

    report('worker-kill', {
      sent: INBOUND + OUTBOUND,
      acknowledged: acknowledged.size + deliveries.length,
      stored: tally.stored + deliveries.length,
      processed: (tally.byState.done ?? 0) + done.length,
      delivered,
      lost: lostInbound.length + (OUTBOUND - done.length),
      duplicatedEffect: tally.records - tally.distinctN + doubleSuccess,
      extra: {
        kills: killedMidWork.length,
        inboundSent: INBOUND,
        inboundRetriedRequests: retries,
        inboundAcknowledgedAsDuplicate: duplicateAnswers,
        records: tally.records,
        outboundPublished: OUTBOUND,
        outboundDone: done.length,
        interruptedAttempts: attempts.filter((a) => a.outcome === 'interrupted').length,
        sinkRequests: sink.requests.length,
        repeatedDeliveries: repeated.length,
        unexplainedRepeats: unexplainedRepeats.length,
        // per kill: inbound done/processing, outbound done/processing
        atEachKill: killedMidWork
          .map(
            (k) =>
              `in ${k.inboundDone}/${k.inboundProcessing} out ${k.outboundDone}/${k.outboundProcessing}`,
          )
          .join('; '),
      },
    });

    expect(stack.crashes()).toEqual([]);
    expect(acknowledged.size).toBe(INBOUND);
    expect(lostInbound).toEqual([]);
    expect(tally.byState.done).toBe(INBOUND);
    expect(tally.stored).toBe(INBOUND);
    expect(tally.records).toBe(INBOUND);
    expect(tally.distinctN).toBe(INBOUND);
    expect(wrongWriter[0].n).toBe(0);
    // Each kill landed while work remained.
    expect(killedMidWork.some((k) => k.inboundProcessing > 0 || k.outboundProcessing > 0)).toBe(
      true,
    );
    expect(killedMidWork.some((k) => k.inboundDone < INBOUND || k.outboundDone < OUTBOUND)).toBe(
      true,
    );

    expect(deliveries).toHaveLength(OUTBOUND);
    expect(done).toHaveLength(OUTBOUND);
    expect(delivered).toBe(OUTBOUND);
    expect(doubleSuccess).toBe(0);
    for (const d of deliveries) expect(successes.get(d.id)).toBe(1);
    expect(unexplainedRepeats.map(([id]) => id)).toEqual([]);
    expect([...seen.keys()].every((id) => successes.has(id))).toBe(true);
  });
});
