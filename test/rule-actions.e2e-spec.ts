import { HookgatePublisher } from '@app/messaging';
import { startHarness, type Harness } from './support/harness';
import {
  createHandler,
  createInboundEndpoint,
  post,
  sinkEndpointBody,
  unique,
} from './support/fixtures';
import { query } from './support/database';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * Rule actions run to their end through the real workers (issue 26). A `retry`, not just
 * its first step: the inbound worker puts the event back to `received` with a due time,
 * runs it again when it is due, and dead-letters it once the handler's `maxRetries` are
 * spent; the dispatcher does the same with a delivery and the endpoint's `maxAttempts`,
 * sending nothing. And the outbound actions side by side on one endpoint, chosen by
 * conditions (first match wins): what reached the receiver and what did not.
 * One-second retries keep it short. (test/effect-plans.e2e-spec.ts checks each action
 * on its own against the simulator.)
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;

describe('rule actions, run to their end', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  it('inbound: retry → received with a due time, run again when due, maxRetries → dead_letter', async () => {
    const handler = await createHandler(harness, {
      maxRetries: 2,
      rules: [{ sequence: 10, name: 'not yet', action: 'retry', retrySeconds: 1 }],
    });
    const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
    const res = await post(harness, endpoint.url, JSON.stringify({ order: 1 }));
    expect(res.status).toBe(202);

    interface Row {
      state: string;
      attempts: number;
      due_in: number | null;
      error: string | null;
      matched_rule: string | null;
      received_at: Date;
      processed_at: Date | null;
    }
    const read = async () =>
      (
        await query<Row>(
          db(),
          `SELECT state, attempts, error, matched_rule, received_at, processed_at,
                  extract(epoch FROM due_at - updated_at)::float8 AS due_in
             FROM inbound_events WHERE id = $1`,
          [res.body.id],
        )
      )[0];

    // Every intermediate state the worker leaves the event in: back to `received`, due
    // one second after it was settled, once per attempt before the last.
    const seen = new Map<number, Row>();
    const final = await waitFor(
      async () => {
        const row = await read();
        if (row.state === 'received' && row.attempts > 0) seen.set(row.attempts, row);
        return ['dead_letter', 'done', 'error'].includes(row.state) ? row : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'the retried event to be dead-lettered' },
    );
    expect(final.state).toBe('dead_letter');
    expect(final.attempts).toBe(3); // the first run and two retries
    expect(final.error).toBe('retries exhausted after 3 attempts');
    expect(final.matched_rule).toBe('not yet');
    expect([...seen.keys()].sort()).toEqual([1, 2]);
    for (const row of seen.values()) expect(row.due_in).toBeCloseTo(1, 0);
    // Run again only when due: two one-second waits lie between receipt and the end.
    const elapsed = new Date(final.processed_at!).getTime() - new Date(final.received_at).getTime();
    expect(elapsed).toBeGreaterThanOrEqual(1900);
  });

  it('outbound: a retry rule re-runs the delivery when due, sends nothing, and dead-letters it after maxAttempts', async () => {
    sink.requests.length = 0;
    const handler = await createHandler(harness, {
      direction: 'outbound',
      rules: [
        {
          sequence: 10,
          name: 'hold back',
          conditions: [{ path: 'ready', operator: '=', value: false }],
          action: 'retry',
          retrySeconds: 1,
        },
      ],
    });
    const code = unique('retry-out');
    const created = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        handler: handler.code,
        retryPolicy: {
          maxAttempts: 3,
          initialDelaySeconds: 30,
          multiplier: 1,
          maxDelaySeconds: 30,
        },
      }),
    });
    expect(created.status).toBe(201);
    const started = Date.now();
    await publisher.deliver({ endpoint: code, payload: { ready: false } });
    // A delivery the rule lets through, on the same endpoint: sent once, as a control.
    await publisher.deliver({ endpoint: code, payload: { ready: true } });

    interface Row {
      state: string;
      attempts: number;
      last_error: string | null;
      payload: { ready: boolean };
      retry_in: number | null;
      updated_at: Date;
    }
    const seen = new Map<number, Row>();
    const rows = await waitFor(
      async () => {
        const found = await query<Row>(
          db(),
          `SELECT state, attempts, last_error, payload, updated_at,
                  extract(epoch FROM next_attempt_at - updated_at)::float8 AS retry_in
             FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        const held = found.find((r) => r.payload.ready === false);
        if (held?.state === 'queued' && held.attempts > 0) seen.set(held.attempts, held);
        return found.length === 2 && found.every((r) => ['done', 'dead_letter'].includes(r.state))
          ? found
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'both deliveries to settle' },
    );
    const held = rows.find((r) => r.payload.ready === false)!;
    const sent = rows.find((r) => r.payload.ready === true)!;
    expect(held).toMatchObject({ state: 'dead_letter', attempts: 3 });
    expect(held.last_error).toBe('retries exhausted after 3 attempts');
    expect([...seen.keys()].sort()).toEqual([1, 2]);
    // The rule's one second, not the endpoint policy's thirty.
    for (const row of seen.values()) expect(row.retry_in).toBeCloseTo(1, 0);
    expect(new Date(held.updated_at).getTime() - started).toBeGreaterThanOrEqual(1900);
    expect(sent).toMatchObject({ state: 'done', attempts: 1 });
    expect(sink.requests.map((r) => JSON.parse(r.body.toString()))).toEqual([{ ready: true }]);
  });

  it('outbound: done, dead_letter, mutate and send chosen per delivery by conditions, first match wins', async () => {
    sink.requests.length = 0;
    const kind = (value: string) => [{ path: 'kind', operator: '=', value }];
    const handler = await createHandler(harness, {
      direction: 'outbound',
      rules: [
        { sequence: 10, name: 'internal', conditions: kind('internal'), action: 'done' },
        {
          sequence: 20,
          name: 'poison',
          conditions: kind('poison'),
          action: 'dead_letter',
        },
        {
          sequence: 30,
          name: 'enrich',
          conditions: [{ path: 'kind', operator: 'in', value: ['order', 'internal'] }],
          action: 'mutate',
          assignments: [
            { field: 'order.channel', source: { kind: 'literal', value: 'web' } },
            { field: 'headers.X-Order-Ref', source: { kind: 'context', key: 'ref' } },
          ],
        },
      ],
    });
    const code = unique('actions-out');
    const created = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, { handler: handler.code }),
    });
    expect(created.status).toBe(201);
    for (const payload of [
      { kind: 'internal' },
      { kind: 'poison' },
      { kind: 'order', order: { id: 7 } },
      { kind: 'other' },
    ]) {
      await publisher.deliver({ endpoint: code, payload, context: { ref: `ref-${payload.kind}` } });
    }
    const rows = await waitFor(
      async () => {
        const found = await query<{
          state: string;
          attempts: number;
          payload: { kind: string };
          last_error: string | null;
        }>(
          db(),
          `SELECT state, attempts, payload, last_error FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        return found.length === 4 &&
          found.every((r) => ['done', 'dead_letter', 'error'].includes(r.state))
          ? found
          : undefined;
      },
      { what: 'the four deliveries to settle' },
    );
    const byKind = Object.fromEntries(rows.map((r) => [r.payload.kind, r.state]));
    expect(byKind).toEqual({
      internal: 'done',
      poison: 'dead_letter',
      order: 'done',
      other: 'done',
    });
    // `internal` matched `done` first (not the later `mutate`): never sent. `poison` neither.
    const sent = sink.requests.map((r) => ({
      body: JSON.parse(r.body.toString()),
      ref: r.headers['x-order-ref'],
    }));
    expect(sent.sort((a, b) => a.body.kind.localeCompare(b.body.kind))).toEqual([
      { body: { kind: 'order', order: { id: 7, channel: 'web' } }, ref: 'ref-order' },
      { body: { kind: 'other' }, ref: undefined },
    ]);
    // The stored payload is what was published; the mutation applied to the request only.
    expect(rows.find((r) => r.payload.kind === 'order')!.payload).toEqual({
      kind: 'order',
      order: { id: 7 },
    });
  });
});
