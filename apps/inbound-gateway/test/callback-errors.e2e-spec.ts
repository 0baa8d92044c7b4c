// The harness first: it loads the apps in the order their decorators expect.
import { startHarness, type Harness } from '../../../test/support/harness';
import { done, type InboundCallback } from '@app/core';
import { buildHandlerRegistry } from '@app/callbacks';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { defaultTenantId, query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * Issue 26, against the real gateway, worker, admin API, Postgres and Redis:
 * - a callback that throws leaves its event in `error` with the message and the stack
 *   trace stored (SPEC §3 "Callback execution") and shown by the admin API;
 * - a bulk reprocess that matches rows re-runs exactly those rows through the worker
 *   (error and dead_letter, by endpoint and state), and leaves the others alone.
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;

/** What the callback does on its next runs: throw (the ledger is down) or succeed. */
let ledgerDown = true;
const runs: string[] = [];

const ledgerCallback: InboundCallback = async function postToLedger({ event }) {
  runs.push(event.id);
  if (ledgerDown) throw new Error(`ledger unavailable for event ${event.id}`);
  return done();
};

interface EventRow {
  id: string;
  state: string;
  attempts: number;
  error: string | null;
  error_stack: string | null;
}

describe('callback errors and bulk reprocess', () => {
  let harness: Harness;
  let callbackHandler: string;

  beforeAll(async () => {
    const registry = buildHandlerRegistry();
    registry.registerInbound('test-ledger', ledgerCallback);
    harness = await startHarness({ registry });
    // The admin's registry is the build's, which has no `test-ledger`: it would refuse the
    // handler, so the row is written directly (the gateway reads handlers from Postgres).
    callbackHandler = unique('ledger');
    await query(
      db(),
      `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode, callback)
       VALUES ($1, $2, $2, 'inbound', 'callback', 'test-ledger')`,
      [await defaultTenantId(), callbackHandler],
    );
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function events(ids: string[]): Promise<EventRow[]> {
    return query<EventRow>(
      db(),
      `SELECT id, state, attempts, error, error_stack FROM inbound_events
        WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)`,
      [ids],
    );
  }

  /** Waits until every event has run `attempts` times and left `processing`. */
  async function settled(ids: string[], attempts: number): Promise<EventRow[]> {
    return waitFor(
      async () => {
        const rows = await events(ids);
        return rows.length === ids.length &&
          rows.every(
            (r) => r.attempts === attempts && !['received', 'processing'].includes(r.state),
          )
          ? rows
          : undefined;
      },
      { what: `${ids.length} events to settle after attempt ${attempts}` },
    );
  }

  async function send(url: string, count: number, tag: string): Promise<string[]> {
    const ids: string[] = [];
    for (let n = 1; n <= count; n++) {
      const res = await post(harness, url, JSON.stringify({ tag, n }));
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    return ids;
  }

  it('a callback that throws: the event ends in error with its message and stack trace', async () => {
    ledgerDown = true;
    const endpoint = await createInboundEndpoint(harness, { handler: callbackHandler });
    const [id] = await send(endpoint.url, 1, 'throws');
    const [row] = await settled([id], 1);
    expect(row.state).toBe('error');
    expect(row.error).toBe(`ledger unavailable for event ${id}`);
    // The stack is the thrown error's own: its message, then the callback's frame.
    expect(row.error_stack).toMatch(/^Error: ledger unavailable for event /);
    expect(row.error_stack).toContain('postToLedger');
    expect(row.error_stack).toContain('callback-errors.e2e-spec.ts');

    const view = await harness.admin(`/inbound-events/${id}`);
    expect(view.status).toBe(200);
    expect(view.body.state).toBe('error');
    expect(view.body.error).toEqual({ message: row.error, stack: row.error_stack });
    // Not retried on its own: an error waits for an operator.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await events([id]))[0]).toMatchObject({ state: 'error', attempts: 1 });
  });

  it('bulk reprocess re-runs exactly the matching error and dead_letter events', async () => {
    ledgerDown = true;
    const failing = await createInboundEndpoint(harness, { handler: callbackHandler });
    const untouched = await createInboundEndpoint(harness, { handler: callbackHandler });
    const rules = await createHandler(harness, {
      rules: [{ sequence: 10, name: 'park', action: 'dead_letter' }],
    });
    const parked = await createInboundEndpoint(harness, { handler: rules.code });

    const failed = await send(failing.url, 3, 'failing');
    const other = await send(untouched.url, 2, 'untouched');
    const dead = await send(parked.url, 2, 'parked');
    expect((await settled(failed, 1)).map((r) => r.state)).toEqual(['error', 'error', 'error']);
    expect((await settled(other, 1)).map((r) => r.state)).toEqual(['error', 'error']);
    expect((await settled(dead, 1)).map((r) => r.state)).toEqual(['dead_letter', 'dead_letter']);

    // The ledger is back: reprocess one endpoint's errors.
    ledgerDown = false;
    runs.length = 0;
    const byEndpoint = await harness.admin('/inbound-events/reprocess', {
      body: { endpoint: failing.id, state: 'error' },
    });
    expect(byEndpoint).toEqual({ status: 200, body: { reprocessed: 3 } });
    const rerun = await settled(failed, 2);
    expect(rerun.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    expect(rerun.every((r) => r.error === null && r.error_stack === null)).toBe(true);
    expect([...runs].sort()).toEqual([...failed].sort());

    // The rule is fixed: reprocess the other endpoint's dead letters, by path this time.
    const fixed = await harness.admin(`/handlers/${rules.id}`, {
      method: 'PUT',
      body: {
        name: rules.code,
        executionMode: 'rules',
        rules: [{ sequence: 10, name: 'accept', action: 'done' }],
      },
    });
    expect(fixed.status).toBe(200);
    const byPath = await harness.admin('/inbound-events/reprocess', {
      body: { endpoint: parked.path, state: 'dead_letter' },
    });
    expect(byPath).toEqual({ status: 200, body: { reprocessed: 2 } });
    const revived = await waitFor(
      async () => {
        const rows = await events(dead);
        return rows.every((r) => r.state === 'done') ? rows : undefined;
      },
      { what: 'the dead letters to be processed under the fixed rule' },
    );
    expect(revived.map((r) => r.attempts)).toEqual([2, 2]);

    // Nothing else ran: the untouched endpoint's errors are as they were.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await events(other)).map((r) => [r.state, r.attempts])).toEqual([
      ['error', 1],
      ['error', 1],
    ]);
    expect(runs.filter((id) => other.includes(id))).toEqual([]);
    // A second reprocess of the same filter finds nothing left to do.
    const again = await harness.admin('/inbound-events/reprocess', {
      body: { endpoint: failing.id, state: 'error' },
    });
    expect(again.body).toEqual({ reprocessed: 0 });
  });
});
