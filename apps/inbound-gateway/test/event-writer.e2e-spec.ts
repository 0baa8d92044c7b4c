import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { uuidv7 } from '@app/core';
import {
  EventWriter,
  runSqlOn,
  runSqlOnPg,
  type NewInboundEvent,
} from '../src/receive/event-writer';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';

/**
 * Group commit in the gateway's event writer, against the real Postgres: concurrent
 * inserts share statements, identity races inside one batch still yield one event, and a
 * row that cannot be stored fails alone.
 */
const db = () => process.env.DATABASE_URL!;

describe('EventWriter group commit', () => {
  let harness: Harness;
  let dataSource: DataSource;
  let endpoint: { id: string; path: string };
  let tenantId: string;

  beforeAll(async () => {
    harness = await startHarness();
    dataSource = harness.inboundApp.get(DataSource);
    const handler = await createHandler(harness, {});
    endpoint = await createInboundEndpoint(harness, { handler: handler.code });
    const [row] = await query<{ tenant_id: string }>(
      db(),
      `SELECT tenant_id FROM inbound_endpoints WHERE id = $1`,
      [endpoint.id],
    );
    tenantId = row.tenant_id;
  });

  afterAll(async () => {
    await harness?.close();
  });

  function event(overrides: Partial<NewInboundEvent> = {}): NewInboundEvent {
    return {
      id: uuidv7(),
      tenantId,
      endpointId: endpoint.id,
      endpointPath: endpoint.path,
      state: 'received',
      method: 'POST',
      url: `/webhooks/${endpoint.path}`,
      headers: {},
      query: {},
      rawBody: Buffer.from('{}'),
      contentType: 'application/json',
      payload: {},
      semantic: {},
      deliveryIdentity: randomUUID(),
      replayIdentity: null,
      ...overrides,
    };
  }

  it('writes concurrent events in shared statements, each committed before it resolves', async () => {
    const writer = new EventWriter(runSqlOn(dataSource));
    const spy = jest.spyOn(dataSource, 'query');
    try {
      const events = Array.from({ length: 40 }, () => event());
      const outcomes = await Promise.all(events.map((e) => writer.insert(e)));
      expect(outcomes.map((o) => o.duplicate)).toEqual(events.map(() => false));
      expect(outcomes.map((o) => o.id)).toEqual(events.map((e) => e.id));
      const inserts = spy.mock.calls.filter(([sql]) => String(sql).includes('INSERT INTO'));
      expect(inserts.length).toBeLessThan(10);
      const [stored] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM inbound_events WHERE id = ANY($1)`,
        [events.map((e) => e.id)],
      );
      expect(Number(stored.n)).toBe(40);
    } finally {
      spy.mockRestore();
    }
  });

  it('turns copies of one delivery inside a batch into one event and duplicates', async () => {
    const writer = new EventWriter(runSqlOn(dataSource));
    const identity = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () => writer.insert(event({ deliveryIdentity: identity }))),
    );
    const originals = outcomes.filter((o) => !o.duplicate);
    expect(originals).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.id))).toEqual(new Set([originals[0].id]));
    const [row] = await query<{ n: string; duplicate_count: number }>(
      db(),
      `SELECT count(*) OVER () AS n, duplicate_count FROM inbound_events
        WHERE endpoint_id = $1 AND delivery_identity = $2`,
      [endpoint.id, identity],
    );
    expect(Number(row.n)).toBe(1);
    expect(row.duplicate_count).toBe(24);
  });

  it('fails only the row that cannot be stored when it shares a batch with good ones', async () => {
    const writer = new EventWriter(runSqlOn(dataSource));
    const good = Array.from({ length: 9 }, () => event());
    const bad = event({ endpointId: randomUUID() }); // violates the endpoint foreign key
    const settled = await Promise.allSettled([...good, bad].map((e) => writer.insert(e)));
    expect(settled.slice(0, 9).every((s) => s.status === 'fulfilled')).toBe(true);
    expect(settled[9].status).toBe('rejected');
    const [stored] = await query<{ n: string }>(
      db(),
      `SELECT count(*) AS n FROM inbound_events WHERE id = ANY($1)`,
      [[...good, bad].map((e) => e.id)],
    );
    expect(Number(stored.n)).toBe(9);
  });

  describe('over a pg connection (the writer thread)', () => {
    let client: Client;

    beforeEach(async () => {
      client = new Client({ connectionString: db() });
      await client.connect();
    });

    afterEach(async () => {
      await client.end();
    });

    const preparedOnConnection = async () =>
      (
        await client.query<{ name: string }>(
          `SELECT name FROM pg_prepared_statements ORDER BY name`,
        )
      ).rows.map((row) => row.name);

    it('prepares its inserts by name, and stays correct once Postgres switches to a generic plan', async () => {
      const writer = new EventWriter(runSqlOnPg(client, true), {
        batch: { maxBatch: 8, maxInFlight: 1 },
      });
      // Ten rounds of the same shapes: Postgres plans a named statement afresh for its
      // first five runs and may reuse a generic plan after that.
      const ids: string[] = [];
      for (let round = 0; round < 10; round++) {
        const identity = randomUUID();
        const events = [
          ...Array.from({ length: 8 }, () => event()),
          ...Array.from({ length: 3 }, () => event({ deliveryIdentity: identity })),
        ];
        const outcomes = await Promise.all(events.map((e) => writer.insert(e)));
        expect(outcomes.slice(0, 8).every((o) => !o.duplicate)).toBe(true);
        expect(outcomes.slice(8).filter((o) => !o.duplicate)).toHaveLength(1);
        ids.push(...events.map((e) => e.id));
      }
      const [stored] = await query<{ n: string }>(
        db(),
        `SELECT count(*) AS n FROM inbound_events WHERE id = ANY($1)`,
        [ids],
      );
      expect(Number(stored.n)).toBe(10 * 9);

      // A bad row in a prepared batch fails alone, and the statement stays usable.
      const good = Array.from({ length: 5 }, () => event());
      const settled = await Promise.allSettled(
        [...good, event({ endpointId: randomUUID() })].map((e) => writer.insert(e)),
      );
      expect(settled.map((s) => s.status)).toEqual([...good.map(() => 'fulfilled'), 'rejected']);

      const names = await preparedOnConnection();
      expect(names).toContain('hookgate_insert_inbound_events_1');
      expect(
        names.filter((name) => name.startsWith('hookgate_insert_inbound_events_')).length,
      ).toBeGreaterThan(1);
      expect(names.every((name) => /^hookgate_insert_inbound_events_\d+$/.test(name))).toBe(true);
    });

    it('sends every statement unnamed when prepared statements are off', async () => {
      const writer = new EventWriter(runSqlOnPg(client, false));
      const events = Array.from({ length: 12 }, () => event());
      const outcomes = await Promise.all(events.map((e) => writer.insert(e)));
      expect(outcomes.map((o) => o.id)).toEqual(events.map((e) => e.id));
      expect(await preparedOnConnection()).toEqual([]);
    });
  });
});
