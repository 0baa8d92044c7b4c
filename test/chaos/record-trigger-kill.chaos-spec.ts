import { query } from '../support/database';
import { sinkEndpointBody, whsec } from '../support/fixtures';
import { startSink, type Sink } from '../support/sink';
import { waitFor } from '../support/wait';
import { report } from './support/counts';
import { recordingEndpoint, tallyInbound, unfinished } from './support/inbound';
import { postJson, runPool, sleep } from './support/load';
import { attemptsOf, countDeliveries, sinkLog } from './support/outbound';
import { PrivateRedis } from './support/private-redis';
import { sized } from './support/profile';
import { Stack } from './support/stack';

/**
 * SPEC §11 "Record-change webhooks" under SPEC §9 "worker killed mid-job": the
 * change-trigger chain — webhook → upsert → record trigger → delivery — while the inbound
 * worker and the dispatcher are killed with SIGKILL mid-work, three times.
 *
 * Each `n` is sent once (its record is created) and every other `n` a second time under
 * another delivery id (the record is updated: its `event` field changes). Exactly once in
 * effect means: one trigger delivery per change (a `created` per record, an `updated` per
 * second event), each change id once, and no change announced that did not commit — every
 * delivery names a record that exists and the event that wrote it (`after.event` is its
 * source event, which is `done`). Sending is at least once, as for any delivery: a repeat
 * at the sink must follow an interrupted attempt.
 */
jest.setTimeout(sized(600_000, 120_000));

const RECORDS = sized(2_000, 120);
const UPDATES = Math.floor(RECORDS / 2);
const KILLS = 3;
const SEND_SPAN_MS = sized(30_000, 5_000);
const KILL_WAIT_MS = sized(15_000, 3_000);

interface TriggerDelivery {
  id: string;
  state: string;
  source_event_id: string | null;
  operation: string;
  change_id: string;
  record_id: string;
  after_event: string | null;
  after_n: number | null;
}

describe('chaos: record-change triggers under kill -9', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let sink: Sink;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    sink = await startSink();
    sink.fallback = { status: 200, body: 'ok', delayMs: 20 };
    stack = await Stack.start({
      redisUrl: redis.url,
      apps: ['admin', 'inbound-gateway', 'outbound-dispatcher'],
      appEnv: {
        'outbound-dispatcher': { DISPATCHER_CONCURRENCY: '8' },
        'inbound-gateway': { INBOUND_WORKER_CONCURRENCY: '8' },
      },
    });
  });

  afterAll(async () => {
    await stack?.close();
    await sink?.close();
    await redis?.stop();
  });

  it(`announces each committed change once across ${KILLS} kill -9`, async () => {
    const code = `rtk-${Date.now().toString(36)}`;
    const { url, model } = await recordingEndpoint(stack, code, 'upsert_record');
    const crm = `${code}-crm`;
    await stack.create(
      '/outbound-endpoints',
      sinkEndpointBody(crm, sink.url, {
        eventTypes: [`record.${model}.*`],
        timeoutMs: 2000,
        retryPolicy: { maxAttempts: 10, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 1 },
        signing: { type: 'standard-webhooks', secret: whsec(`chaos-secret-${crm}`) },
      }),
    );
    await stack.create('/record-triggers', {
      code,
      name: code,
      model,
      operations: ['created', 'updated'],
    });

    // Events: `n` for every record, then `n` again (another delivery id) for half of them.
    const sends = [
      ...Array.from({ length: RECORDS }, (_, n) => ({ n, delivery: `${code}-${n}` })),
      ...Array.from({ length: UPDATES }, (_, i) => ({ n: i * 2, delivery: `${code}-${i * 2}-u` })),
    ];
    const acknowledged = new Map<string, string>();
    const sendStart = Date.now();
    const sending = runPool(sends.length, 8, async (i) => {
      const due = sendStart + (i * SEND_SPAN_MS) / sends.length;
      if (Date.now() < due) await sleep(due - Date.now());
      const { n, delivery } = sends[i];
      for (;;) {
        const answer = await postJson(url, { n }, { 'x-delivery-id': delivery });
        if (answer.status === 202 || (answer.status === 200 && answer.body.duplicate)) {
          acknowledged.set(delivery, answer.body.id);
          return;
        }
        await sleep(100);
      }
    });

    const atKills: string[] = [];
    let killedMidWork = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      const before = await countDeliveries(crm, ['queued', 'processing', 'done']);
      await waitFor(
        async () =>
          (await countDeliveries(crm, ['queued', 'processing', 'done'])) >= before + 10
            ? true
            : undefined,
        { timeoutMs: KILL_WAIT_MS, intervalMs: 50, what: 'trigger deliveries before the kill' },
      ).catch(() => undefined);
      const inFlight = await tallyInbound(code, model);
      if ((inFlight.byState.done ?? 0) < sends.length) killedMidWork += 1;
      await Promise.all([stack.kill('inbound-gateway'), stack.kill('outbound-dispatcher')]);
      atKills.push(
        `in ${inFlight.byState.done ?? 0}/${inFlight.byState.processing ?? 0} out ${await countDeliveries(crm, ['done'])}`,
      );
      await Promise.all([stack.startApp('inbound-gateway'), stack.startApp('outbound-dispatcher')]);
    }
    await sending;

    const changes = RECORDS + UPDATES;
    const ids = [...acknowledged.values()];
    await waitFor(
      async () =>
        (await unfinished(ids)).length === 0 &&
        (await countDeliveries(crm, ['done', 'error', 'dead_letter'])) >= changes &&
        (await countDeliveries(crm, ['queued', 'processing', 'draft'])) === 0
          ? true
          : undefined,
      { timeoutMs: sized(300_000, 60_000), intervalMs: 250, what: 'everything final' },
    ).catch(() => undefined);

    const tally = await tallyInbound(code, model);
    const deliveries = await query<TriggerDelivery>(
      process.env.DATABASE_URL!,
      `SELECT d.id, d.state, d.source_event_id, d.payload->>'operation' AS operation,
              d.payload->>'changeId' AS change_id, d.payload->>'recordId' AS record_id,
              d.payload->'after'->>'event' AS after_event, (d.payload->'after'->>'n')::int AS after_n
         FROM deliveries d WHERE d.endpoint_code = $1`,
      [crm],
    );
    // Announced but never committed: the record or the writing event is not there.
    const [orphans] = await query<{ missing_record: number; wrong_writer: number }>(
      process.env.DATABASE_URL!,
      `SELECT count(*) FILTER (WHERE r.id IS NULL)::int AS missing_record,
              count(*) FILTER (WHERE e.id IS NULL OR e.state <> 'done'
                                 OR e.payload->>'n' IS DISTINCT FROM d.payload->'after'->>'n')::int AS wrong_writer
         FROM deliveries d
         LEFT JOIN records r ON r.id::text = d.payload->>'recordId'
         LEFT JOIN inbound_events e ON e.id = d.source_event_id
        WHERE d.endpoint_code = $1`,
      [crm],
    );
    const perN = new Map<number, { created: number; updated: number }>();
    for (const d of deliveries) {
      const entry = perN.get(d.after_n ?? -1) ?? { created: 0, updated: 0 };
      if (d.operation === 'created') entry.created += 1;
      if (d.operation === 'updated') entry.updated += 1;
      perN.set(d.after_n ?? -1, entry);
    }
    const expectedPerN = (n: number) => (n % 2 === 0 && n / 2 < UPDATES ? 2 : 1);
    const wrongCount = [...Array(RECORDS).keys()].filter((n) => {
      const entry = perN.get(n);
      return !entry || entry.created !== 1 || entry.created + entry.updated !== expectedPerN(n);
    });
    const notFromItsEvent = deliveries.filter((d) => d.after_event !== d.source_event_id);

    const attempts = await attemptsOf(crm);
    const interrupted = new Set(
      attempts.filter((a) => a.outcome === 'interrupted').map((a) => a.delivery_id),
    );
    const seen = sinkLog(sink);
    const done = deliveries.filter((d) => d.state === 'done');
    const unexplainedRepeats = [...seen].filter(([id, t]) => t.length > 1 && !interrupted.has(id));

    report('record-trigger-kill', {
      sent: sends.length,
      acknowledged: acknowledged.size,
      stored: tally.stored,
      processed: tally.byState.done ?? 0,
      delivered: done.filter((d) => seen.has(d.id)).length,
      lost: changes - deliveries.length > 0 ? changes - deliveries.length : 0,
      duplicatedEffect: Math.max(0, deliveries.length - changes) + (tally.records - RECORDS),
      extra: {
        kills: atKills.length,
        changes,
        triggerDeliveries: deliveries.length,
        distinctChangeIds: new Set(deliveries.map((d) => d.change_id)).size,
        missingRecord: orphans.missing_record,
        wrongWriter: orphans.wrong_writer,
        interruptedAttempts: interrupted.size,
        atEachKill: atKills.join('; '),
      },
    });

    expect(stack.crashes()).toEqual([]);
    expect(acknowledged.size).toBe(sends.length);
    // The kills landed while events were still to be processed.
    expect(killedMidWork).toBeGreaterThan(0);
    expect(await unfinished(ids)).toEqual([]);
    expect(tally.byState.done).toBe(sends.length);
    expect(tally.records).toBe(RECORDS);
    // One event per change, each change once.
    expect(deliveries).toHaveLength(changes);
    expect(new Set(deliveries.map((d) => d.change_id)).size).toBe(changes);
    expect(wrongCount).toEqual([]);
    // No change announced that did not commit.
    expect(orphans).toEqual({ missing_record: 0, wrong_writer: 0 });
    expect(notFromItsEvent.map((d) => d.id)).toEqual([]);
    // Every announcement reached the CRM.
    expect(done).toHaveLength(changes);
    expect(done.every((d) => seen.has(d.id))).toBe(true);
    expect(unexplainedRepeats.map(([id]) => id)).toEqual([]);
  });
});
