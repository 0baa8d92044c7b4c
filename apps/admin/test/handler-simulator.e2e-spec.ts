import { startHarness, type Harness } from '../../../test/support/harness';
import {
  createHandler,
  createInboundEndpoint,
  insertDraftOutboundEndpoint,
  post,
  unique,
} from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * The rule simulator (SPEC §11) against the real worker: the log it answers is the log the
 * inbound worker records for the same event, and simulating writes nothing anywhere.
 */
const db = () => process.env.DATABASE_URL!;

interface StoredEvent {
  id: string;
  state: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  semantic: Record<string, unknown>;
  payload: unknown;
  execution_log: Record<string, unknown>;
  endpoint_path: string;
  received_at: Date;
  delivery_identity: string | null;
  replay_identity: string | null;
  attempts: number;
}

/** Row count of every table of the schema. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = await query<{ table_name: string }>(
    db(),
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [{ n }] = await query<{ n: number }>(
      db(),
      `SELECT count(*)::int AS n FROM "${table_name}"`,
    );
    counts[table_name] = n;
  }
  return counts;
}

describe('POST /handlers/:id/simulate', () => {
  let harness: Harness;
  const outboundCode = unique('sim-crm');

  beforeAll(async () => {
    harness = await startHarness();
    // Draft: forwarded deliveries wait there, nothing is sent.
    await insertDraftOutboundEndpoint(outboundCode);
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function receiveAndProcess(
    handler: { code: string },
    body: Record<string, unknown>,
  ): Promise<StoredEvent> {
    const endpoint = await createInboundEndpoint(harness, {
      handler: handler.code,
      semanticBindings: [{ name: 'account', source: { kind: 'payload', path: 'account.id' } }],
    });
    const res = await post(
      harness,
      `/webhooks/${endpoint.path}?source=shop`,
      JSON.stringify(body),
      {
        'X-Kind': 'order',
        'Idempotency-Key': unique('idem'),
      },
    );
    expect(res.status).toBe(202);
    return waitFor(
      async () => {
        const [row] = await query<StoredEvent>(
          db(),
          `SELECT id, state, headers, query, semantic, payload, execution_log, endpoint_path,
                  received_at, delivery_identity, replay_identity, attempts
             FROM inbound_events WHERE id = $1`,
          [res.body.id],
        );
        return row && ['done', 'error', 'dead_letter'].includes(row.state) ? row : undefined;
      },
      { what: 'the event to be processed' },
    );
  }

  /** The simulate request that describes a stored event exactly. */
  function describeEvent(event: StoredEvent) {
    return {
      payload: event.payload,
      headers: event.headers,
      query: event.query,
      semantic: event.semantic,
      event: {
        id: event.id,
        receivedAt: new Date(event.received_at).toISOString(),
        endpointPath: event.endpoint_path,
        ...(event.delivery_identity ? { deliveryIdentity: event.delivery_identity } : {}),
        ...(event.replay_identity ? { replayIdentity: event.replay_identity } : {}),
        attempts: event.attempts,
      },
    };
  }

  it('answers the execution log the worker recorded (forward), and writes nothing', async () => {
    const handler = await createHandler(harness, {
      rules: [
        {
          sequence: 10,
          name: 'deleted orders',
          conditions: [{ path: 'action', operator: '=', value: 'deleted' }],
          action: 'dead_letter',
        },
        {
          sequence: 20,
          name: 'shop orders',
          conditions: [
            { source: 'headers', path: 'X-Kind', operator: '=', value: 'order' },
            { source: 'query', path: 'source', operator: '=', value: 'shop' },
            { source: 'semantic', path: 'account', operator: 'exists' },
            { source: 'event', path: 'attempts', operator: '>=', value: 1 },
            { path: 'total', operator: '>', value: 10 },
            { path: 'missing.path', operator: 'not exists' },
          ],
          action: 'forward',
          forwardTo: outboundCode,
          assignments: [
            { field: 'orderId', source: { kind: 'payload', path: 'id' } },
            { field: 'account', source: { kind: 'semantic', name: 'account' } },
            { field: 'event', source: { kind: 'event', field: 'id' } },
            { field: 'nothing', source: { kind: 'payload', path: 'nope' } },
          ],
        },
        { sequence: 30, name: 'everything else', conditions: [], action: 'done' },
      ],
    });
    const body = { id: 'ord_1', action: 'created', total: 42, account: { id: 'acct_7' } };
    const event = await receiveAndProcess(handler, body);
    expect(event.state).toBe('done');
    expect(event.execution_log.matchedRule).toBe('shop orders');

    const before = await rowCounts();
    const simulated = await harness.admin(`/handlers/${handler.id}/simulate`, {
      body: describeEvent(event),
    });
    const after = await rowCounts();

    expect(simulated.status).toBe(200);
    expect(simulated.body.executionLog).toEqual(event.execution_log);
    expect(simulated.body.matchedRule).toBe('shop orders');
    expect(simulated.body.action).toBe('forward');
    expect(simulated.body.effects).toEqual({
      state: 'done',
      delivery: {
        endpoint: outboundCode,
        payload: { orderId: 'ord_1', account: 'acct_7', event: event.id },
      },
    });
    expect(after).toEqual(before);
    expect(before.inbound_events).toBeGreaterThan(0);
  });

  it('record actions: the same log except the records written, which it describes instead', async () => {
    const model = unique('sim_orders').replace(/-/g, '_');
    const handler = await createHandler(harness, {
      rules: [
        {
          sequence: 10,
          name: 'upsert orders',
          conditions: [{ path: 'total', operator: '>', value: 1 }],
          action: 'upsert_record',
          targetModel: model,
          lookups: [{ field: 'orderId', source: { kind: 'payload', path: 'id' } }],
          assignments: [
            { field: 'orderId', source: { kind: 'payload', path: 'id' } },
            { field: 'customer.account', source: { kind: 'semantic', name: 'account' } },
            { field: 'total', source: { kind: 'payload', path: 'total' }, transform: 'string' },
          ],
        },
      ],
    });
    const event = await receiveAndProcess(handler, { id: 'ord_2', total: 5, account: { id: 'a' } });
    expect(event.state).toBe('done');
    const records = (event.execution_log.records as unknown[]) ?? [];
    expect(records).toHaveLength(1);

    const before = await rowCounts();
    const simulated = await harness.admin(`/handlers/${handler.id}/simulate`, {
      body: describeEvent(event),
    });
    expect(await rowCounts()).toEqual(before);
    expect(simulated.status).toBe(200);
    expect(simulated.body.executionLog).toEqual({ ...event.execution_log, records: [] });
    expect(simulated.body.effects).toEqual({
      state: 'done',
      record: {
        model,
        operation: 'upsert',
        lookup: [{ field: 'orderId', value: 'ord_2' }],
        data: { orderId: 'ord_2', customer: { account: 'a' }, total: '5' },
      },
    });
  });

  it('simulates an outbound handler: mutate shows the request it would send', async () => {
    const handler = await createHandler(harness, {
      direction: 'outbound',
      rules: [
        {
          sequence: 10,
          name: 'skip tests',
          conditions: [{ source: 'context', path: 'mode', operator: '=', value: 'test' }],
          action: 'cancel',
        },
        {
          sequence: 20,
          name: 'tag',
          conditions: [{ source: 'endpoint', path: 'code', operator: '=', value: outboundCode }],
          action: 'mutate',
          assignments: [
            { field: 'meta.tagged', source: { kind: 'literal', value: true } },
            { field: 'headers.X-Order', source: { kind: 'context', key: 'orderId' } },
          ],
        },
      ],
    });
    const before = await rowCounts();
    const res = await harness.admin(`/handlers/${handler.id}/simulate`, {
      body: { payload: { id: 1 }, context: { orderId: 'A-42' }, endpoint: outboundCode },
    });
    expect(await rowCounts()).toEqual(before);
    expect(res.status).toBe(200);
    expect(res.body.executionLog.rules.map((r: { matched: boolean }) => r.matched)).toEqual([
      false,
      true,
    ]);
    expect(res.body.effects).toEqual({
      state: 'send',
      payload: { id: 1, meta: { tagged: true } },
      headers: { 'X-Order': 'A-42' },
    });
  });

  it('refuses what it cannot simulate with a clear 4xx', async () => {
    const inbound = await createHandler(harness, {
      rules: [{ sequence: 1, name: 'all', conditions: [], action: 'done' }],
    });
    const wrongField = await harness.admin(`/handlers/${inbound.id}/simulate`, {
      body: { payload: {}, context: { a: 'b' } },
    });
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.details).toEqual([
      { field: 'context', problems: ['context does not apply to an inbound handler'] },
    ]);
    const badHeader = await harness.admin(`/handlers/${inbound.id}/simulate`, {
      body: { payload: {}, headers: { 'x-a': 5 }, unknownField: 1 },
    });
    expect(badHeader.status).toBe(400);

    const callback = await createHandler(harness, {
      executionMode: 'callback',
      callback: 'github-issues',
    });
    const viaCallback = await harness.admin(`/handlers/${callback.id}/simulate`, {
      body: { payload: {} },
    });
    expect(viaCallback.status).toBe(400);
    expect(viaCallback.body.message).toMatch(/handler/);

    expect(
      (await harness.admin(`/handlers/00000000-0000-0000-0000-000000000000/simulate`, { body: {} }))
        .status,
    ).toBe(404);
    expect((await harness.admin(`/handlers/not-an-id/simulate`, { body: {} })).status).toBe(404);
  });
});
