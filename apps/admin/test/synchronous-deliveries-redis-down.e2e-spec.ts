import { TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';
import type { PrivateRedis } from '../../../test/chaos/support/private-redis';
import {
  startPrivateRedisStack,
  type PrivateRedisStack,
} from '../../../test/support/private-redis-stack';

/**
 * `POST /deliveries?wait=` while Redis is down, sent with the lowest-privilege key that may
 * send (a publisher key). The wait hears no notice and the dispatcher gets no job: the
 * answer must still come by the deadline (202, never a hang or a 5xx), the delivery must be
 * stored once, and once Redis is back the reconciler must deliver it exactly once. Runs on
 * a Redis server of its own: the shared one is never stopped.
 */
jest.setTimeout(120_000);

describe('admin API: sends and record writes while Redis is down', () => {
  let redis: PrivateRedis;
  let harness: Harness;
  let sink: Sink;
  let stack: PrivateRedisStack;

  beforeAll(async () => {
    stack = await startPrivateRedisStack();
    ({ redis, harness, sink } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers 202 by the deadline, stores the delivery once, and delivers it once after Redis returns', async () => {
    const code = unique('sync-redis-down');
    const endpoint = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url),
    });
    expect(endpoint.status).toBe(201);
    const keyRes = await harness.admin('/api-keys', {
      key: TEST_ADMIN_KEY,
      body: { name: unique('publisher'), role: 'publisher' },
    });
    expect(keyRes.status).toBe(201);
    const publisherKey: string = keyRes.body.key;

    await redis.kill();
    const started = Date.now();
    const res = await fetch(`${harness.adminUrl}/api/v1/deliveries?wait=2`, {
      method: 'POST',
      headers: { authorization: `Bearer ${publisherKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: code, payload: { order: 'R-1' } }),
    });
    const elapsed = Date.now() - started;
    const body = (await res.json()) as { id?: string };

    expect(res.status).toBe(202);
    // The wait's own deadline (2 s) plus its final Postgres read: bounded, not a hang.
    expect(elapsed).toBeLessThan(6_000);
    const rows = await query<{ id: string; state: string }>(
      process.env.DATABASE_URL!,
      `SELECT id, state FROM deliveries WHERE endpoint_code = $1`,
      [code],
    );
    expect(rows).toEqual([{ id: body.id, state: 'queued' }]);
    expect(sink.requests).toHaveLength(0);

    await redis.restart();
    await waitFor(
      async () => {
        const [row] = await query<{ state: string }>(
          process.env.DATABASE_URL!,
          `SELECT state FROM deliveries WHERE id = $1`,
          [body.id],
        );
        return row?.state === 'done' ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the delivery done after Redis returned' },
    );
    expect(sink.requests).toHaveLength(1);
    const [attempts] = await query<{ n: number }>(
      process.env.DATABASE_URL!,
      `SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = $1`,
      [body.id],
    );
    expect(attempts.n).toBe(1);
  });

  it('takes a record write that fires a trigger while Redis is down (operator key): the event is stored with the record and sent once after', async () => {
    const model = unique('rdown').replace(/[^a-z0-9-]/g, '');
    const code = unique('trigger-redis-down');
    const endpoint = await harness.admin('/outbound-endpoints', {
      body: { ...sinkEndpointBody(code, sink.url), eventTypes: [`record.${model}.created`] },
    });
    expect(endpoint.status).toBe(201);
    const trigger = await harness.admin('/record-triggers', {
      body: { code: unique('trg'), name: 'redis down', model, operations: ['created'] },
    });
    expect(trigger.status).toBe(201);
    const keyRes = await harness.admin('/api-keys', {
      body: { name: unique('operator'), role: 'operator' },
    });
    expect(keyRes.status).toBe(201);
    const before = sink.requests.length;

    await redis.kill();
    const res = await fetch(`${harness.adminUrl}/api/v1/records/${model}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyRes.body.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { email: 'a@x.io' } }),
    });
    expect(res.status).toBe(201);
    const rows = () =>
      query<{ id: string; state: string }>(
        process.env.DATABASE_URL!,
        `SELECT id, state FROM deliveries WHERE endpoint_code = $1`,
        [code],
      );
    expect((await rows()).map((r) => r.state)).toEqual(['queued']);
    expect(sink.requests.length).toBe(before);

    await redis.restart();
    await waitFor(
      async () => ((await rows()).every((r) => r.state === 'done') ? true : undefined),
      { timeoutMs: 60_000, what: 'the trigger delivery done after Redis returned' },
    );
    expect(await rows()).toHaveLength(1);
    expect(sink.requests.length).toBe(before + 1);
  });
});
