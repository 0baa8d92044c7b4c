import { startSink, type Sink } from '../support/sink';
import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { sleep } from './support/load';
import { sinkEndpoint } from './support/outbound';
import { PgProxy } from './support/pg-proxy';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Publishers, settlePublished, tallyPublished, type Via } from './support/publishing';
import { Stack } from './support/stack';

/**
 * The publish path through a Postgres outage (issue 21): the dispatcher reaches Postgres
 * through a proxy the scenario cuts (the shared server is never touched) while services
 * keep publishing on `outbound-requests`, through `HookgatePublisher` and through a bare
 * BullMQ `Queue.add` with default options (one attempt). Every request Redis
 * acknowledged is an acknowledged request: when Postgres returns, each must be delivered,
 * once — counted at the sink per key and in the delivery rows — and none may sit in the
 * failed set.
 *
 * Before the cut, the deliveries published so far are drained, so the cut lands on the
 * intake, not on a send in flight (whose repeat after an unrecorded attempt is
 * at-least-once by design and is worker-kill's scenario).
 */
jest.setTimeout(sized(600_000, 120_000));

const OUTAGE_MS = sized(60_000, 4_000);
const BEFORE = sized(200, 20);
const AFTER = sized(200, 20);
/** Publishing rate during the outage, per service loop (two loops, one per way). */
const DURING_INTERVAL_MS = sized(50, 100);

describe('chaos: publishing while Postgres is down', () => {
  let proxy: PgProxy;
  let redis: PrivateRedis;
  let stack: Stack;
  let sink: Sink;
  let publishers: Publishers | undefined;

  beforeAll(async () => {
    const db = new URL(process.env.DATABASE_URL!);
    proxy = await PgProxy.start({ host: db.hostname, port: Number(db.port || 5432) });
    redis = await PrivateRedis.start();
    sink = await startSink();
    stack = await Stack.start({
      redisUrl: redis.url,
      apps: ['admin', 'outbound-dispatcher'],
      appEnv: {
        'outbound-dispatcher': { DATABASE_URL: proxy.rewrite(process.env.DATABASE_URL!) },
      },
    });
  });

  afterAll(async () => {
    await publishers?.close();
    await stack?.close();
    await proxy?.close();
    await sink?.close();
    await redis?.stop();
  });

  it(`delivers every request published through a ${OUTAGE_MS / 1000} s Postgres outage, each once`, async () => {
    const code = `pubpgdown-${Date.now().toString(36)}`;
    await sinkEndpoint(stack, code, sink);
    publishers = new Publishers(redis.url, code, false);
    const pub = publishers;
    let n = 0;
    const publish = (via: Via) => pub.send(`${via}-${n++}`, via);

    for (let i = 0; i < BEFORE; i += 1) await publish(i % 2 === 0 ? 'publisher' : 'raw');
    await waitFor(
      async () =>
        (await tallyPublished(code, sink, pub.acknowledged.keys())).lost.length === 0
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 250, what: 'the requests before the outage delivered' },
    );

    proxy.cut();
    const until = Date.now() + OUTAGE_MS;
    const sentBefore = pub.acknowledged.size;
    await Promise.all(
      (['publisher', 'raw'] as const).map(async (via) => {
        while (Date.now() < until) {
          await publish(via);
          await sleep(DURING_INTERVAL_MS);
        }
      }),
    );
    const sentDuring = pub.acknowledged.size - sentBefore;
    const failedDuring = await pub.failedJobs();
    const deliveredDuring = (await tallyPublished(code, sink, [])).sinkHits - sentBefore;

    proxy.restore();
    const restoredAt = Date.now();
    for (let i = 0; i < AFTER; i += 1) await publish(i % 2 === 0 ? 'publisher' : 'raw');
    const {
      tally,
      failed: failedAfter,
      sent,
      viaRaw,
      drainMs,
    } = await settlePublished(code, sink, pub, stack, restoredAt);
    report('publish-postgres-down', {
      sent,
      acknowledged: sent,
      stored: tally.rows,
      processed: tally.done,
      delivered: tally.sinkHits - tally.repeatedAtSink.length,
      lost: tally.lost.length,
      duplicatedEffect: tally.repeatedAtSink.length + tally.duplicateRows.length,
      extra: {
        outageMs: OUTAGE_MS,
        viaPublisher: sent - viaRaw,
        viaRawDefaults: viaRaw,
        publishedDuringOutage: sentDuring,
        deliveredDuringOutage: deliveredDuring,
        failedJobsDuringOutage: failedDuring,
        failedJobsAfter: failedAfter,
        repeatedAtSink: tally.repeatedAtSink.length,
        duplicateRows: tally.duplicateRows.length,
        drainMs,
        states: JSON.stringify(tally.byState),
      },
    });
    expect(stack.crashes()).toEqual([]);
    expect(sentDuring).toBeGreaterThan(0);
    expect(deliveredDuring).toBe(0);
    expect(failedDuring).toBe(0);
    expect(failedAfter).toBe(0);
    expect(tally.lost).toEqual([]);
    expect(tally.repeatedAtSink).toEqual([]);
    expect(tally.duplicateRows).toEqual([]);
    expect(tally.rows).toBe(sent);
    expect(tally.done).toBe(sent);
  });
});
