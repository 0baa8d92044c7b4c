import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';
import { defaultTenantId, query } from '../../../test/support/database';

/**
 * Issue 21 item 1 against the real admin app (in this process, so `Object.prototype` here
 * is the admin's): `GET /records/:model?__proto__.name=…` with the lowest-privilege key
 * once wrote to Object.prototype, and the next request crashed the app. Filter names that
 * name a prototype key, dotted or bracketed, are now a 400 and nothing is written.
 */
const db = () => process.env.DATABASE_URL!;

const HOSTILE_QUERIES = [
  '__proto__.polluted=1',
  'constructor.prototype.polluted=1',
  'a.__proto__.polluted=1',
  'a.b.constructor.prototype.polluted=1',
  'prototype.polluted=1',
  '__proto__[polluted]=1',
  'a[__proto__][polluted]=1',
  'constructor[prototype][polluted]=1',
  '%5F%5Fproto%5F%5F.polluted=1',
  'name=x&__proto__.polluted=1',
  '__proto__.polluted=1&__proto__.polluted=2',
];

/**
 * Jest runs this file in its own realm, but some globals (structuredClone) come from the
 * process's main one: the app's objects can have either Object.prototype. Both are checked.
 */
const PROTOTYPES: Array<Record<string, unknown>> = [
  Object.prototype as Record<string, unknown>,
  Object.getPrototypeOf(structuredClone({})) as Record<string, unknown>,
];

function polluted(): unknown {
  return PROTOTYPES.map((proto) => proto.polluted).find((value) => value !== undefined);
}

describe('admin API: prototype keys in record filters', () => {
  let harness: Harness;
  let operatorKey: string;
  const model = unique('proto-model');
  const name = unique('rec');

  beforeAll(async () => {
    harness = await startHarness();
    const key = await harness.admin('/api-keys', {
      key: TEST_ADMIN_KEY,
      body: { name: unique('operator'), role: 'operator' },
    });
    expect(key.status).toBe(201);
    operatorKey = key.body.key;
    await query(db(), `INSERT INTO records (tenant_id, model, data) VALUES ($1, $2, $3::jsonb)`, [
      await defaultTenantId(),
      model,
      JSON.stringify({ name, customer: { tier: 'gold' } }),
    ]);
  });

  afterEach(() => {
    // On the old code the requests below polluted this process; undo it so one failure
    // does not cascade into every later test of the run.
    for (const proto of PROTOTYPES) delete proto.polluted;
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function get(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${harness.adminUrl}${path}`, {
      headers: { authorization: `Bearer ${operatorKey}` },
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  }

  it.each(HOSTILE_QUERIES)(
    'answers ?%s with a 400 and leaves Object.prototype alone',
    async (q) => {
      const answer = await get(`/api/v1/records/${model}?${q}`);
      const leaked = polluted();
      expect(leaked).toBeUndefined();
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/^validation failed/);
      expect(JSON.stringify(answer.body.details)).toMatch(
        /may not name \\"(__proto__|constructor|prototype)\\"/,
      );
    },
  );

  it('still answers normally afterwards: health, metrics and a filtered list', async () => {
    for (const q of HOSTILE_QUERIES) await get(`/api/v1/records/${model}?${q}`);
    expect(polluted()).toBeUndefined();

    expect((await get('/health')).status).toBe(200);
    const metrics = await fetch(`${harness.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    await metrics.text();

    const listed = await get(`/api/v1/records/${model}?name=${encodeURIComponent(name)}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].data).toEqual({ name, customer: { tier: 'gold' } });
    const nested = await get(`/api/v1/records/${model}?customer.tier=gold`);
    expect(nested.status).toBe(200);
    expect(nested.body.items.map((r: { data: { name: string } }) => r.data.name)).toEqual([name]);
    const none = await get(`/api/v1/records/${model}?customer.tier=silver`);
    expect(none.body.items).toEqual([]);
    // Names that merely contain the words are ordinary filters.
    const ordinary = await get(`/api/v1/records/${model}?protocol.constructors=1`);
    expect(ordinary.status).toBe(200);
    expect(ordinary.body.items).toEqual([]);
  });
});
