import { startSink, type Sink } from '../support/sink';
import { report } from './support/counts';
import { sleep } from './support/load';
import { sinkEndpoint } from './support/outbound';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Publishers, settlePublished, type Via } from './support/publishing';
import { Stack } from './support/stack';

/**
 * The publish path through a Redis restart with the append-only file on (issue 21; the
 * persistence docs/operations.md requires): the scenario's own redis-server runs with
 * `appendonly yes`, `appendfsync always`, and is killed with SIGKILL mid-publishing, then
 * started again on the same port and directory, replaying its file. Services publish
 * through `HookgatePublisher` and through a bare BullMQ `Queue.add` with default options,
 * retrying an add Redis did not acknowledge. Every acknowledged request must be delivered
 * once, counted at the sink per key and in the delivery rows.
 *
 * Without persistence, the requests still waiting in Redis at the kill would be gone:
 * docs/reliability.md says so, and why publishing over HTTP avoids it.
 */
jest.setTimeout(sized(600_000, 150_000));

const PUBLISH_MS = sized(60_000, 8_000);
const KILL_AFTER_MS = sized(20_000, 3_000);
const DOWN_MS = sized(10_000, 1_500);
const CONCURRENCY = 4;
const INTERVAL_MS = sized(20, 50);

describe('chaos: publishing through a Redis restart (append-only file)', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let sink: Sink;
  let publishers: Publishers | undefined;

  beforeAll(async () => {
    redis = await PrivateRedis.start({ appendfsync: 'always' });
    sink = await startSink();
    stack = await Stack.start({ redisUrl: redis.url, apps: ['admin', 'outbound-dispatcher'] });
  });

  afterAll(async () => {
    await publishers?.close();
    await stack?.close();
    await sink?.close();
    await redis?.stop();
  });

  it('delivers every acknowledged request once across a kill -9 and restart of Redis', async () => {
    const code = `pubredis-${Date.now().toString(36)}`;
    await sinkEndpoint(stack, code, sink);
    // The raw producer sends an idempotency key too: an add it retries may have reached
    // Redis after all, and only the key makes the two jobs one request.
    publishers = new Publishers(redis.url, code, true);
    const pub = publishers;
    let n = 0;
    let waitingAtKill = 0;
    let restartMs = 0;

    const started = Date.now();
    const fault = (async () => {
      await sleep(KILL_AFTER_MS);
      const counts = await pub.raw.getJobCounts('wait', 'delayed', 'active', 'prioritized');
      waitingAtKill = Object.values(counts).reduce((a, c) => a + c, 0);
      await redis.kill();
      await sleep(DOWN_MS);
      const restartAt = Date.now();
      await redis.restart();
      restartMs = Date.now() - restartAt;
    })();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        const via: Via = worker % 2 === 0 ? 'publisher' : 'raw';
        while (Date.now() - started < PUBLISH_MS) {
          await pub.send(`${via}-${n++}`, via);
          await sleep(INTERVAL_MS);
        }
      }),
    );
    await fault;

    const doneAt = Date.now();
    const { tally, failed, sent, viaRaw, drainMs } = await settlePublished(
      code,
      sink,
      pub,
      stack,
      doneAt,
    );
    report('publish-redis-restart', {
      sent,
      acknowledged: sent,
      stored: tally.rows,
      processed: tally.done,
      delivered: tally.sinkHits - tally.repeatedAtSink.length,
      lost: tally.lost.length,
      duplicatedEffect: tally.repeatedAtSink.length + tally.duplicateRows.length,
      extra: {
        appendfsync: 'always',
        downMs: DOWN_MS,
        restartMs,
        viaPublisher: sent - viaRaw,
        viaRawDefaults: viaRaw,
        jobsInRedisAtKill: waitingAtKill,
        retriedAdds: pub.retriedAdds,
        failedJobs: failed,
        repeatedAtSink: tally.repeatedAtSink.length,
        duplicateRows: tally.duplicateRows.length,
        drainMs,
        states: JSON.stringify(tally.byState),
      },
    });
    expect(stack.crashes()).toEqual([]);
    expect(failed).toBe(0);
    expect(tally.lost).toEqual([]);
    expect(tally.repeatedAtSink).toEqual([]);
    expect(tally.duplicateRows).toEqual([]);
    expect(tally.rows).toBe(sent);
    expect(tally.done).toBe(sent);
  });
});
