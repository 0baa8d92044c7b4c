import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { RecordChange } from '@app/core';
import {
  AmbiguousRecordError,
  InvalidRecordLookupError,
  NoRecordMatchedError,
  PostgresRecordStore,
  prepareDatabase,
  upsertRecords,
  RecordEntity,
  TenantEntity,
} from '@app/persistence';
import { uniqueName } from '../../../test/support/database';

/** PostgresRecordStore against a real Postgres (SPEC §6), one fresh tenant per test. */
describe('PostgresRecordStore', () => {
  let dataSource: DataSource;
  let tenantId: string;
  let store: PostgresRecordStore;

  beforeAll(async () => {
    dataSource = await prepareDatabase(process.env.DATABASE_URL as string, {
      applicationName: 'persistence-e2e-records',
      poolSize: 25,
    });
  });

  beforeEach(async () => {
    const tenant = await dataSource
      .getRepository(TenantEntity)
      .save({ name: uniqueName('records') });
    tenantId = tenant.id;
    store = new PostgresRecordStore(dataSource, tenantId);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const count = (model: string) =>
    dataSource.getRepository(RecordEntity).countBy({ tenantId, model });

  it('creates and finds records by equality on data paths', async () => {
    const issue = await store.create('issue', {
      number: 42,
      state: 'open',
      repo: { id: 7, name: 'x' },
    });
    await store.create('issue', { number: 43, state: 'open', repo: { id: 7, name: 'x' } });
    await store.create('pull', { number: 42 });
    expect(issue).toMatchObject({ model: 'issue', data: { number: 42, repo: { id: 7 } } });
    expect(issue.id).toMatch(/^[0-9a-f-]{36}$/);

    const byNumber = await store.find('issue', [{ field: 'number', value: 42 }]);
    expect(byNumber.map((r) => r.id)).toEqual([issue.id]);
    expect(await store.find('issue', [{ field: 'repo.id', value: 7 }])).toHaveLength(2);
    expect(
      await store.find('issue', [
        { field: 'repo.id', value: 7 },
        { field: 'number', value: 43 },
      ]),
    ).toHaveLength(1);
    expect(await store.find('issue', [{ field: 'number', value: '42' }])).toHaveLength(0); // strict types
    expect(
      await store.find('issue', [{ field: 'repo', value: { id: 7, name: 'x' } }]),
    ).toHaveLength(2);
    expect(await store.find('issue', [{ field: 'repo', value: { id: 7 } }])).toHaveLength(0); // equality, not containment
    expect(await store.find('issue', [])).toHaveLength(2);
  });

  it('is scoped to its tenant', async () => {
    await store.create('issue', { number: 1 });
    const other = await dataSource.getRepository(TenantEntity).save({ name: uniqueName('other') });
    const otherStore = new PostgresRecordStore(dataSource, other.id);
    expect(await otherStore.find('issue', [{ field: 'number', value: 1 }])).toEqual([]);
  });

  it('expands dot-path data keys and matches array-index lookups', async () => {
    const record = await store.create('order', {
      'customer.email': 'a@example.test',
      'items.0.sku': 'SKU-1',
      total: 10,
    });
    expect(record.data).toEqual({
      customer: { email: 'a@example.test' },
      items: [{ sku: 'SKU-1' }],
      total: 10,
    });
    expect(await store.find('order', [{ field: 'items.0.sku', value: 'SKU-1' }])).toHaveLength(1);
    expect(await store.find('order', [{ field: 'items[0].sku', value: 'SKU-1' }])).toHaveLength(1);
    expect(await store.find('order', [{ field: 'items.1.sku', value: 'SKU-1' }])).toHaveLength(0);
  });

  it('updates the single match, deep-merging data and recording the event', async () => {
    const eventId = randomUUID();
    const created = await store.create('issue', {
      number: 5,
      labels: ['a'],
      repo: { id: 1, name: 'old' },
    });
    const updated = await new PostgresRecordStore(dataSource, tenantId, eventId).update(
      'issue',
      [{ field: 'number', value: 5 }],
      { 'repo.name': 'new', labels: ['b'], state: 'closed' },
    );
    expect(updated.id).toBe(created.id);
    expect(updated.data).toEqual({
      number: 5,
      labels: ['b'],
      repo: { id: 1, name: 'new' },
      state: 'closed',
    });
    const row = await dataSource.getRepository(RecordEntity).findOneByOrFail({ id: created.id });
    expect(row.updatedByEvent).toBe(eventId);
    expect(row.createdByEvent).toBeNull();
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(row.createdAt.getTime());
  });

  it('update with no match throws NoRecordMatchedError', async () => {
    const attempt = store.update('issue', [{ field: 'number', value: 404 }], { state: 'x' });
    await expect(attempt).rejects.toBeInstanceOf(NoRecordMatchedError);
    await expect(attempt).rejects.toThrow(/no record matched/);
  });

  it('update or upsert matching several records throws AmbiguousRecordError and changes nothing', async () => {
    await store.create('issue', { repo: 1, n: 1 });
    await store.create('issue', { repo: 1, n: 2 });
    await expect(
      store.update('issue', [{ field: 'repo', value: 1 }], { x: 1 }),
    ).rejects.toBeInstanceOf(AmbiguousRecordError);
    await expect(
      store.upsert('issue', [{ field: 'repo', value: 1 }], { x: 1 }),
    ).rejects.toBeInstanceOf(AmbiguousRecordError);
    const records = await store.find('issue', []);
    expect(records.every((r) => !('x' in r.data))).toBe(true);
  });

  it('refuses lookups that cannot select a record', async () => {
    await expect(store.update('issue', [], { x: 1 })).rejects.toBeInstanceOf(
      InvalidRecordLookupError,
    );
    await expect(
      store.upsert('issue', [{ field: 'number', value: undefined }], { x: 1 }),
    ).rejects.toBeInstanceOf(InvalidRecordLookupError);
    await expect(store.find('issue', [{ field: '', value: 1 }])).rejects.toBeInstanceOf(
      InvalidRecordLookupError,
    );
  });

  it('refuses lookups that name a prototype key, and keeps such data keys as data (issue 21)', async () => {
    for (const field of ['__proto__.polluted', 'a.constructor.prototype', 'a[__proto__]']) {
      await expect(store.upsert('issue', [{ field, value: 1 }], { x: 1 })).rejects.toBeInstanceOf(
        InvalidRecordLookupError,
      );
      await expect(store.find('issue', [{ field, value: 1 }])).rejects.toThrow(/may not name/);
    }
    expect(await count('issue')).toBe(0);
    const data = JSON.parse('{"n":1,"__proto__":{"polluted":1}}') as Record<string, unknown>;
    const created = await store.upsert('issue', [{ field: 'n', value: 1 }], data);
    expect(Object.getOwnPropertyDescriptor(created.data, '__proto__')?.value).toEqual({
      polluted: 1,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('upsert creates with the lookup values, then updates the same record', async () => {
    const lookup = [
      { field: 'repo.id', value: 7 },
      { field: 'number', value: 9 },
    ];
    const first = await store.upsert('issue', lookup, { title: 'first' });
    expect(first.created).toBe(true);
    expect(first.data).toEqual({ repo: { id: 7 }, number: 9, title: 'first' });
    const second = await store.upsert('issue', lookup, { title: 'second', 'repo.name': 'r' });
    expect(second).toMatchObject({ id: first.id, created: false });
    expect(second.data).toEqual({ repo: { id: 7, name: 'r' }, number: 9, title: 'second' });
    expect(await count('issue')).toBe(1);
  });

  it('20 concurrent upserts for one lookup create exactly one record', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new PostgresRecordStore(dataSource, tenantId, randomUUID()).upsert(
          'customer',
          [{ field: 'email', value: 'race@example.test' }],
          // Non-numeric keys: a numeric path segment addresses an array index, and arrays
          // are replaced, not merged, so `seen.${i}` would keep only the last writer's.
          { [`seen.k${i}`]: true, last: i },
        ),
      ),
    );
    expect(await count('customer')).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const [record] = await store.find('customer', [{ field: 'email', value: 'race@example.test' }]);
    expect(Object.keys(record.data.seen as object)).toHaveLength(20);
  });

  it('joins an outer transaction: writes commit or roll back with it', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        const inner = new PostgresRecordStore(manager, tenantId);
        await inner.upsert('order', [{ field: 'id', value: 'o-1' }], { total: 1 });
        expect(await inner.find('order', [{ field: 'id', value: 'o-1' }])).toHaveLength(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await count('order')).toBe(0);

    await dataSource.transaction(async (manager) => {
      const inner = new PostgresRecordStore(manager, tenantId);
      await inner.create('order', { id: 'o-2' });
      // A store error leaves the outer transaction usable.
      await expect(
        inner.update('order', [{ field: 'id', value: 'missing' }], {}),
      ).rejects.toBeInstanceOf(NoRecordMatchedError);
      await inner.update('order', [{ field: 'id', value: 'o-2' }], { total: 2 });
    });
    const [order] = await store.find('order', [{ field: 'id', value: 'o-2' }]);
    expect(order.data).toEqual({ id: 'o-2', total: 2 });
  });

  it('concurrent outer transactions upserting one lookup create one record', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        dataSource.transaction(async (manager) => {
          const inner = new PostgresRecordStore(manager, tenantId, randomUUID());
          await inner.upsert('account', [{ field: 'external.id', value: 'acct_1' }], { n: i });
          await manager.query('SELECT pg_sleep(0.01)');
        }),
      ),
    );
    expect(await count('account')).toBe(1);
  });

  it('looks records up through the GIN index even when the statistics predate the model', async () => {
    // Statistics gathered before the model had any record: its equality looks selective, and
    // a plain WHERE would walk every record of the model through (tenant_id, model, created_at).
    const model = `burst_${randomUUID().slice(0, 8)}`;
    // A key no other test writes, so the containment hits are this model's records only.
    const key = `seq_${randomUUID().slice(0, 8)}`;
    await dataSource.query(`ANALYZE records`);
    await dataSource.query(
      `INSERT INTO records (tenant_id, model, data)
       SELECT $1, $2, jsonb_build_object($3::text, n, 'title', 'record ' || n) FROM generate_series(1, 5000) AS n`,
      [tenantId, model, key],
    );
    const fetched = await dataSource.transaction(async (manager) => {
      // Rows fetched from records by this backend. The counter may also hold earlier
      // transactions' counts that Postgres has not flushed yet (it flushes at most once a
      // second), and it cannot flush inside a transaction: the difference is this one's.
      const rowsRead = async () => {
        const [stats] = await manager.query(
          `SELECT idx_tup_fetch + seq_tup_read AS n FROM pg_stat_xact_user_tables WHERE relname = 'records'`,
        );
        return Number(stats?.n ?? 0);
      };
      const before = await rowsRead();
      const inTx = new PostgresRecordStore(manager, tenantId);
      expect((await inTx.find(model, [{ field: key, value: 4321 }])).map((r) => r.data)).toEqual([
        { [key]: 4321, title: 'record 4321' },
      ]);
      expect((await inTx.update(model, [{ field: key, value: 17 }], { seen: true })).data).toEqual({
        [key]: 17,
        title: 'record 17',
        seen: true,
      });
      const upserted = await upsertRecords(manager, [
        {
          tenantId,
          eventId: randomUUID(),
          model,
          lookup: [{ field: key, value: 99 }],
          data: { x: 1 },
        },
        {
          tenantId,
          eventId: randomUUID(),
          model,
          lookup: [{ field: key, value: 5001 }],
          data: { x: 2 },
        },
      ]);
      expect(upserted?.map((r) => r.created)).toEqual([false, true]);
      // A handful of rows, not the model's 5,000 records per lookup.
      return (await rowsRead()) - before;
    });
    expect(fetched).toBeLessThan(50);
  });

  describe('change reports (record triggers, SPEC §11)', () => {
    type Reported = { inTransaction: boolean; change: RecordChange };

    /** A store in a transaction whose listener collects what it reports. */
    async function inTransaction<T>(
      work: (store: PostgresRecordStore, manager: EntityManager) => Promise<T>,
      options: { fail?: boolean } = {},
    ): Promise<{ result?: T; reported: Reported[] }> {
      const reported: Reported[] = [];
      let result: T | undefined;
      await dataSource
        .transaction(async (manager) => {
          const inTx = new PostgresRecordStore(manager, tenantId, null, async (m, change) => {
            reported.push({ inTransaction: m === manager, change });
          });
          result = await work(inTx, manager);
          if (options.fail) throw new Error('rolled back');
        })
        .catch((error: Error) => {
          if (error.message !== 'rolled back') throw error;
        });
      return { result, reported };
    }

    it('reports created, updated and deleted with before and after, in the transaction', async () => {
      const { result: id, reported } = await inTransaction(async (inTx) => {
        const created = await inTx.create('deal', { name: 'A', 'stage.name': 'lead' });
        await inTx.update('deal', [{ field: 'name', value: 'A' }], { stage: { name: 'won' } });
        // The same values again: not a change.
        await inTx.update('deal', [{ field: 'name', value: 'A' }], { stage: { name: 'won' } });
        await inTx.upsert('deal', [{ field: 'name', value: 'A' }], { amount: 5 });
        await inTx.upsert('deal', [{ field: 'name', value: 'B' }], {});
        await inTx.replace('deal', created.id, { name: 'A' });
        expect(await inTx.replace('deal', randomUUID(), { name: 'x' })).toBeNull();
        await inTx.delete('deal', created.id);
        expect(await inTx.delete('deal', created.id)).toBeNull();
        return created.id;
      });
      expect(reported.every((r) => r.inTransaction)).toBe(true);
      expect(reported.map((r) => [r.change.operation, r.change.before, r.change.after])).toEqual([
        ['created', null, { name: 'A', stage: { name: 'lead' } }],
        ['updated', { name: 'A', stage: { name: 'lead' } }, { name: 'A', stage: { name: 'won' } }],
        [
          'updated',
          { name: 'A', stage: { name: 'won' } },
          { name: 'A', stage: { name: 'won' }, amount: 5 },
        ],
        ['created', null, { name: 'B' }],
        ['updated', { name: 'A', stage: { name: 'won' }, amount: 5 }, { name: 'A' }],
        ['deleted', { name: 'A' }, null],
      ]);
      expect(
        reported.filter((r) => r.change.model === 'deal' && r.change.recordId === id),
      ).toHaveLength(5);
      expect(await count('deal')).toBe(1);
    });

    it('a failing listener rolls the write back with it', async () => {
      await expect(
        dataSource.transaction(async (manager) => {
          const inTx = new PostgresRecordStore(manager, tenantId, null, async () => {
            throw new Error('publish failed');
          });
          await inTx.create('deal', { name: 'C' });
        }),
      ).rejects.toThrow('publish failed');
      expect(await count('deal')).toBe(0);
      const { reported } = await inTransaction(async (inTx) => inTx.create('deal', { name: 'D' }), {
        fail: true,
      });
      expect(reported).toHaveLength(1);
      expect(await count('deal')).toBe(0);
    });

    it('batch upserts answer each record as it was before, for announce', async () => {
      const eventId = randomUUID();
      await store.create('deal', { name: 'E', amount: 1 });
      const { reported } = await inTransaction(async (inTx, manager) => {
        const results = await upsertRecords(manager, [
          {
            tenantId,
            eventId,
            model: 'deal',
            lookup: [{ field: 'name', value: 'E' }],
            data: { amount: 2 },
          },
          {
            tenantId,
            eventId,
            model: 'deal',
            lookup: [{ field: 'name', value: 'F' }],
            data: { amount: 3 },
          },
          {
            tenantId,
            eventId,
            model: 'deal',
            lookup: [{ field: 'name', value: 'F' }],
            data: { amount: 4 },
          },
        ]);
        expect(results?.map((r) => [r.created, r.before])).toEqual([
          [false, { name: 'E', amount: 1 }],
          [true, null],
          [false, { name: 'F', amount: 3 }],
        ]);
        for (const result of results ?? []) await inTx.announce(result);
      });
      expect(reported.map((r) => [r.change.operation, r.change.after])).toEqual([
        ['updated', { name: 'E', amount: 2 }],
        ['created', { name: 'F', amount: 3 }],
        ['updated', { name: 'F', amount: 4 }],
      ]);
    });
  });
});
