import type { DataSource } from 'typeorm';
import { DeliveryIntake } from './delivery-intake';

const TENANT = '00000000-0000-0000-0000-00000000000a';
const ENDPOINT = { id: '00000000-0000-0000-0000-0000000000e1', code: 'sink' };

/**
 * A stand-in for Postgres that knows the intake's statements: one endpoint, the unique
 * (endpoint, idempotency key) index, and a payload it refuses (`"refuse": true`), as a
 * row Postgres cannot store fails its whole statement.
 */
function fakeDatabase() {
  const rows = new Map<string, { id: string; state: string }>();
  const statements: string[] = [];
  const store = (id: string, endpointId: string | null, key: string | null, state: string) => {
    const unique = `${endpointId}|${key}`;
    if (rows.has(unique)) return null;
    rows.set(unique, { id, state });
    return { id, state };
  };
  const refused = (payload: string) => {
    if (payload.includes('"refuse":true')) throw new Error('invalid input syntax for type json');
  };
  const query = (sql: string, params: unknown[]): Promise<unknown[]> => {
    if (sql.includes('JOIN unnest($1::uuid[], $2::text[])')) {
      statements.push('endpoints');
      const codes = params[1] as string[];
      return Promise.resolve(
        codes.includes(ENDPOINT.code)
          ? [
              {
                ...ENDPOINT,
                tenant_id: TENANT,
                state: 'active',
                event_types: [],
                disabled_reason: null,
              },
            ]
          : [],
      );
    }
    if (sql.includes('FROM outbound_endpoints WHERE tenant_id = $1 AND code = $2')) {
      statements.push('endpoint');
      return Promise.resolve(
        params[1] === ENDPOINT.code
          ? [{ ...ENDPOINT, state: 'active', event_types: [], disabled_reason: null }]
          : [],
      );
    }
    if (sql.includes('FROM unnest($1::uuid[], $2::uuid[]')) {
      statements.push('insert many');
      const [ids, , endpointIds, , , states, payloads, , keys] = params as string[][];
      payloads.forEach(refused);
      const inserted = ids.map((id, i) => store(id, endpointIds[i], keys[i], states[i]));
      return Promise.resolve(inserted.filter(Boolean));
    }
    if (sql.startsWith('INSERT INTO deliveries')) {
      statements.push('insert one');
      const [id, , endpointId, , , state, payload, , key] = params as string[];
      refused(payload);
      const inserted = store(id, endpointId, key, state);
      return Promise.resolve(inserted ? [inserted] : []);
    }
    if (sql.includes('FROM unnest($1::uuid[], $2::text[]) AS k(endpoint_id, idempotency_key)')) {
      statements.push('find many');
      const [endpointIds, keys] = params as string[][];
      return Promise.resolve(
        endpointIds.flatMap((endpointId, i) => {
          const found = rows.get(`${endpointId}|${keys[i]}`);
          return found ? [{ ...found, endpoint_id: endpointId, idempotency_key: keys[i] }] : [];
        }),
      );
    }
    if (sql.includes('WHERE endpoint_id = $1 AND idempotency_key = $2')) {
      statements.push('find');
      const found = rows.get(`${String(params[0])}|${String(params[1])}`);
      return Promise.resolve(found ? [found] : []);
    }
    return Promise.reject(new Error(`unexpected statement: ${sql}`));
  };
  const dataSource = { manager: { query } } as unknown as DataSource;
  return { dataSource, statements, rows };
}

describe('DeliveryIntake with batched deliver requests', () => {
  it('stores concurrent requests with one lookup, one INSERT and one look for taken keys, each answered with its own row', async () => {
    const db = fakeDatabase();
    const intake = new DeliveryIntake(db.dataSource, 5000, { maxBatch: 64, maxInFlight: 2 });
    const results = await Promise.all([
      intake.deliver(TENANT, { endpoint: 'sink', payload: { n: 1 }, idempotencyKey: 'a' }),
      intake.deliver(TENANT, { endpoint: 'sink', payload: { n: 2 }, idempotencyKey: 'b' }),
      // Repeats in the same batch: each answers the first row with its key.
      intake.deliver(TENANT, { endpoint: 'sink', payload: { n: 3 }, idempotencyKey: 'a' }),
      intake.deliver(TENANT, { endpoint: 'nowhere', payload: { n: 4 }, idempotencyKey: 'c' }),
      intake.deliver(TENANT, { endpoint: 'sink', payload: { n: 5 }, idempotencyKey: 'b' }),
    ]);
    expect(db.statements).toEqual(['endpoints', 'insert many', 'find many']);
    expect(results.map((r) => [r.state, r.duplicate, r.endpointCode])).toEqual([
      ['queued', false, 'sink'],
      ['queued', false, 'sink'],
      ['queued', true, 'sink'],
      ['dead_letter', false, 'nowhere'],
      ['queued', true, 'sink'],
    ]);
    expect(results[2].id).toBe(results[0].id);
    expect(results[4].id).toBe(results[1].id);
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
    expect(db.rows.size).toBe(3);
  });

  it('retries a failed batch one request at a time, so a row Postgres refuses fails only its own request', async () => {
    const db = fakeDatabase();
    const intake = new DeliveryIntake(db.dataSource, 5000, { maxBatch: 64, maxInFlight: 2 });
    const outcomes = await Promise.allSettled([
      intake.deliver(TENANT, { endpoint: 'sink', payload: { n: 1 }, idempotencyKey: 'a' }),
      intake.deliver(TENANT, { endpoint: 'sink', payload: { refuse: true }, idempotencyKey: 'b' }),
      intake.deliver(TENANT, { endpoint: 'sink', payload: { n: 3 }, idempotencyKey: 'c' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(
      new Error('invalid input syntax for type json'),
    );
    expect(db.statements.filter((s) => s === 'insert many')).toHaveLength(1);
    expect(db.statements.filter((s) => s === 'insert one')).toHaveLength(3);
    expect([...db.rows.keys()].sort()).toEqual([`${ENDPOINT.id}|a`, `${ENDPOINT.id}|c`]);
  });

  it('inside a caller transaction, or without batching, stores each request on its own', async () => {
    const db = fakeDatabase();
    const unbatched = new DeliveryIntake(db.dataSource);
    await Promise.all([
      unbatched.deliver(TENANT, { endpoint: 'sink', payload: {}, idempotencyKey: 'a' }),
      unbatched.deliver(TENANT, { endpoint: 'sink', payload: {}, idempotencyKey: 'b' }),
    ]);
    expect(db.statements).toEqual(['endpoint', 'endpoint', 'insert one', 'insert one']);

    db.statements.length = 0;
    const batched = new DeliveryIntake(db.dataSource, 5000, { maxBatch: 64, maxInFlight: 2 });
    const manager = db.dataSource.manager;
    await Promise.all([
      batched.deliver(TENANT, { endpoint: 'sink', payload: {}, idempotencyKey: 'c' }, manager),
      batched.deliver(TENANT, { endpoint: 'sink', payload: {}, idempotencyKey: 'd' }, manager),
    ]);
    expect(db.statements).toEqual(['endpoint', 'endpoint', 'insert one', 'insert one']);
  });
});
