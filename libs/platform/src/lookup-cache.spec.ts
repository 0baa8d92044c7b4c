import { LookupCache } from './lookup-cache';

/** What each key costs in loads, with made-up keys flooding in (issue 21, item 15). */
describe('LookupCache', () => {
  interface Row {
    id: string;
  }

  function counting(existing: Map<string, Row>) {
    const loads = new Map<string, number>();
    const load = async (key: string): Promise<Row | null> => {
      loads.set(key, (loads.get(key) ?? 0) + 1);
      // Read now, answer a little later: like a query whose snapshot predates its answer.
      const row = existing.get(key) ?? null;
      await new Promise((resolve) => setImmediate(resolve));
      return row;
    };
    return { load, loads, total: () => [...loads.values()].reduce((a, b) => a + b, 0) };
  }

  it('keeps a hot key through a flood of unknown keys that overflows every bound', async () => {
    const existing = new Map([['hot', { id: 'e1' }]]);
    const source = counting(existing);
    const cache = new LookupCache(source.load, { ttlMs: 60_000, maxEntries: 8, maxMissing: 8 });
    expect(await cache.get('hot')).toEqual({ id: 'e1' });
    for (let i = 0; i < 1000; i++) expect(await cache.get(`nope-${i}`)).toBeNull();
    expect(await cache.get('hot')).toEqual({ id: 'e1' });
    expect(source.loads.get('hot')).toBe(1);
    expect(cache.size).toEqual({ found: 1, missing: 8 });
  });

  it('costs one load for a repeated unknown key, and one for concurrent gets of any key', async () => {
    const source = counting(new Map([['a', { id: 'a' }]]));
    const cache = new LookupCache(source.load, { ttlMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 500; i++) expect(await cache.get('missing')).toBeNull();
    expect(source.loads.get('missing')).toBe(1);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => cache.get(i % 2 ? 'a' : 'cold-missing')),
    );
    expect(answers.filter((a) => a === null)).toHaveLength(25);
    expect(source.loads.get('a')).toBe(1);
    expect(source.loads.get('cold-missing')).toBe(1);
  });

  it('finds a key created after it was remembered missing once invalidated, keeping the others', async () => {
    const existing = new Map([
      ['hot', { id: 'e1' }],
      ['other', { id: 'e2' }],
    ]);
    const source = counting(existing);
    const cache = new LookupCache(source.load, { ttlMs: 60_000, maxEntries: 100 });
    await cache.get('hot');
    await cache.get('other');
    expect(await cache.get('new')).toBeNull();
    existing.set('new', { id: 'e3' });
    expect(await cache.get('new')).toBeNull(); // still remembered missing until told
    cache.invalidateWhere((row) => row.id === 'e3');
    expect(await cache.get('new')).toEqual({ id: 'e3' });
    // An update to e2 drops e2 only.
    cache.invalidateWhere((row) => row.id === 'e2');
    await cache.get('hot');
    await cache.get('other');
    expect(Object.fromEntries(source.loads)).toEqual({ hot: 1, other: 2, new: 2 });
  });

  it('does not keep the answer of a load that was running when the cache was invalidated', async () => {
    const existing = new Map<string, Row>();
    const source = counting(existing);
    const cache = new LookupCache(source.load, { ttlMs: 60_000, maxEntries: 100 });
    const early = cache.get('late'); // reads "missing"…
    existing.set('late', { id: 'e9' }); // …while the endpoint is created
    cache.invalidateWhere((row) => row.id === 'e9');
    expect(await early).toBeNull();
    expect(await cache.get('late')).toEqual({ id: 'e9' });
  });

  it('loads again after the TTL, and counts every load by result', async () => {
    const source = counting(new Map([['a', { id: 'a' }]]));
    const results: string[] = [];
    const cache = new LookupCache(source.load, { ttlMs: 20, maxEntries: 10 }, (result) =>
      results.push(result),
    );
    await cache.get('a');
    await cache.get('b');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await cache.get('a');
    await cache.get('b');
    expect(results).toEqual(['found', 'missing', 'found', 'missing']);
  });

  it('clear() drops everything', async () => {
    const source = counting(new Map([['a', { id: 'a' }]]));
    const cache = new LookupCache(source.load, { ttlMs: 60_000, maxEntries: 10 });
    await cache.get('a');
    await cache.get('b');
    cache.clear();
    expect(cache.size).toEqual({ found: 0, missing: 0 });
    await cache.get('a');
    expect(source.total()).toBe(3);
  });
});
