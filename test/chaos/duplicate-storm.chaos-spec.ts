import { query } from '../support/database';
import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { recordingEndpoint, tallyInbound } from './support/inbound';
import { postJson } from './support/load';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §9, "duplicate storms → exactly one event processed": copies of one delivery (same
 * `X-Delivery-Id`, same body) all sent at once. One is accepted (202), every other copy
 * answers 200 duplicate with the original's id, one row is stored and counts the copies,
 * and the handler runs once (one record).
 */
jest.setTimeout(sized(300_000, 90_000));

const COPIES = sized(1_000, 300);

describe('chaos: duplicate storm', () => {
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

  it(`processes one event out of ${COPIES} concurrent copies`, async () => {
    const code = `storm-${Date.now().toString(36)}`;
    const { url, model } = await recordingEndpoint(stack, code);
    const answers = await Promise.all(
      Array.from({ length: COPIES }, () =>
        postJson(url, { n: 1, storm: code }, { 'x-delivery-id': `${code}-1` }),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const duplicates = answers.filter((a) => a.status === 200 && a.body.duplicate === true);
    const ids = new Set(answers.map((a) => a.body?.id));

    await waitFor(
      async () => ((await tallyInbound(code, model)).byState.done === 1 ? true : undefined),
      { timeoutMs: 30_000, what: 'the event done' },
    ).catch(() => undefined);
    // A late duplicate processing would show as a second record: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const tally = await tallyInbound(code, model);
    const [row] = await query<{ duplicate_count: number }>(
      process.env.DATABASE_URL!,
      `SELECT duplicate_count FROM inbound_events WHERE endpoint_path = $1`,
      [code],
    );
    report('duplicate-storm', {
      sent: COPIES,
      acknowledged: accepted.length + duplicates.length,
      stored: tally.stored,
      processed: tally.byState.done ?? 0,
      lost: (tally.byState.done ?? 0) === 1 ? 0 : 1,
      duplicatedEffect: Math.max(0, tally.records - 1),
      extra: {
        accepted202: accepted.length,
        duplicate200: duplicates.length,
        other: COPIES - accepted.length - duplicates.length,
        duplicateCount: row?.duplicate_count ?? 0,
      },
    });
    expect(stack.crashes()).toEqual([]);
    expect(accepted).toHaveLength(1);
    expect(duplicates).toHaveLength(COPIES - 1);
    expect([...ids]).toEqual([accepted[0].body.id]);
    expect(tally.stored).toBe(1);
    expect(row.duplicate_count).toBe(COPIES - 1);
    expect(tally.byState.done).toBe(1);
    expect(tally.records).toBe(1);
  });
});
