import { Queue } from 'bullmq';
import { QueueName } from '@app/messaging';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { query } from '../../../test/support/database';
import { unique } from '../../../test/support/fixtures';
import { waitFor } from '../../../test/support/wait';

/**
 * `GET /api/v1/outbound-request-refusals` against the real admin app and a real
 * dispatcher: publish jobs the intake refuses (issue 21: "counted, inspectable") are
 * listed to the tenant they named, and those naming no existing tenant to the `default`
 * tenant only; operators may read; the list pages without skipping rows and refuses
 * hostile filters with 400.
 */
const db = () => process.env.DATABASE_URL!;

describe('admin API: outbound request refusals', () => {
  let harness: Harness;
  let raw: Queue;
  let operatorKey: string;
  let other: { id: string; name: string; key: string };
  const marker = unique('refusal-marker');
  const since = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    harness = await startHarness({ dispatcher: true });
    // A producer with BullMQ's defaults, like any service that is not HookgatePublisher.
    raw = new Queue(QueueName.OutboundRequests, {
      connection: { url: process.env.REDIS_URL! },
      prefix: process.env.QUEUE_PREFIX,
    });
    const operator = await harness.admin('/api-keys', {
      body: { name: unique('refusals-operator'), role: 'operator' },
    });
    expect(operator.status).toBe(201);
    operatorKey = operator.body.key;
    const name = unique('refusals-t').toLowerCase();
    const tenant = await harness.admin('/tenants', { body: { name } });
    expect(tenant.status).toBe(201);
    other = { id: tenant.body.tenant.id, name, key: tenant.body.adminKey.key };

    await raw.add('deliver', { payload: { marker } }); // no endpoint: malformed, default
    await raw.add('send-it', { endpoint: 'x', payload: { marker } }); // unknown job, default
    await raw.add('deliver', { endpoint: 'x', tenant: `nobody-${marker}`, payload: { marker } });
    await raw.add('deliver', { tenant: other.name, payload: { marker } }); // malformed, other's
    for (let i = 0; i < 3; i += 1) await raw.add('publish', { payload: { marker, i } });
    await waitFor(
      async () => {
        const [{ n }] = await query<{ n: number }>(
          db(),
          `SELECT count(*)::int AS n FROM outbound_request_refusals WHERE data LIKE '%' || $1 || '%'`,
          [marker],
        );
        return n === 7 ? true : undefined;
      },
      { timeoutMs: 60_000, what: '7 refusals recorded by the dispatcher' },
    );
  });

  afterAll(async () => {
    await raw?.close();
    await harness?.close();
  });

  /** Every refusal of this test the key can list, walking pages of `limit`. */
  async function listAll(key: string | undefined, limit = 100, filter = ''): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const res = await harness.admin(
        `/outbound-request-refusals?from=${encodeURIComponent(since)}&limit=${limit}${filter}` +
          (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
        { key },
      );
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    return items.filter((item) => String(item.data).includes(marker));
  }

  it('shows a default-tenant operator the refusals naming default or no existing tenant, with reason and data', async () => {
    const items = await listAll(operatorKey);
    expect(items.map((i) => i.reason).sort()).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'unknown_job',
      'unknown_tenant',
    ]);
    expect(items.some((i) => i.tenant === other.name)).toBe(false);
    const unknownTenant = items.find((i) => i.reason === 'unknown_tenant');
    expect(unknownTenant).toMatchObject({
      jobName: 'deliver',
      tenant: `nobody-${marker}`,
      message: `unknown tenant "nobody-${marker}"`,
      dataTruncated: false,
    });
    expect(JSON.parse(unknownTenant.data)).toEqual({
      endpoint: 'x',
      tenant: `nobody-${marker}`,
      payload: { marker },
    });
    expect(unknownTenant.dataBytes).toBe(Buffer.byteLength(unknownTenant.data));
    expect(items.find((i) => i.reason === 'unknown_job')).toMatchObject({ jobName: 'send-it' });

    const one = await harness.admin(`/outbound-request-refusals/${unknownTenant.id}`, {
      key: operatorKey,
    });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(unknownTenant);
  });

  it("shows another tenant's admin only the refusals naming it, and none of default's or unknown tenants'", async () => {
    const items = await listAll(other.key);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reason: 'malformed', tenant: other.name, jobName: 'deliver' });
    expect(
      (await harness.admin(`/outbound-request-refusals/${items[0].id}`, { key: other.key })).status,
    ).toBe(200);

    // Nothing of theirs the other way round, by list or by id.
    for (const item of await listAll(operatorKey)) {
      const res = await harness.admin(`/outbound-request-refusals/${item.id}`, { key: other.key });
      expect(res.status).toBe(404);
    }
    expect((await listAll(TEST_ADMIN_KEY)).map((i) => i.id)).not.toContain(items[0].id);
    const [{ id: otherRow }] = await query<{ id: string }>(
      db(),
      `SELECT id FROM outbound_request_refusals WHERE tenant_id = $1 AND data LIKE '%' || $2 || '%'`,
      [other.id, marker],
    );
    expect(otherRow).toBe(items[0].id);
    expect(
      (await harness.admin(`/outbound-request-refusals/${otherRow}`, { key: operatorKey })).status,
    ).toBe(404);
  });

  it('answers 401 without a key', async () => {
    const list = await fetch(`${harness.adminUrl}/api/v1/outbound-request-refusals`);
    expect(list.status).toBe(401);
    const [{ id }] = await query<{ id: string }>(
      db(),
      `SELECT id FROM outbound_request_refusals WHERE data LIKE '%' || $1 || '%' LIMIT 1`,
      [marker],
    );
    const one = await fetch(`${harness.adminUrl}/api/v1/outbound-request-refusals/${id}`);
    expect(one.status).toBe(401);
    expect(await one.text()).not.toContain(marker);
  });

  it('pages newest first with the same rows as one page, and filters by reason and time', async () => {
    const all = await listAll(operatorKey, 100);
    const paged = await listAll(operatorKey, 2);
    expect(paged.map((i) => i.id)).toEqual(all.map((i) => i.id));
    const times = paged.map((i) => Date.parse(i.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const unknown = await listAll(operatorKey, 100, '&reason=unknown_tenant');
    expect(unknown.map((i) => i.tenant)).toEqual([`nobody-${marker}`]);
    const malformed = await listAll(operatorKey, 100, '&reason=malformed');
    expect(malformed).toHaveLength(4);
    const before = await listAll(operatorKey, 100, `&to=${encodeURIComponent(since)}`);
    expect(before).toEqual([]);
  });

  it('keeps rows of one millisecond apart across pages (the cursor holds microseconds)', async () => {
    const burst = unique('refusal-burst');
    const [{ id: defaultId }] = await query<{ id: string }>(
      db(),
      `SELECT id FROM tenants WHERE name = 'default'`,
    );
    // Three refusals inside one millisecond, the way one burst of jobs lands.
    for (const micros of ['123100', '123200', '123300']) {
      await query(
        db(),
        `INSERT INTO outbound_request_refusals
                (job_key, job_name, tenant, reason, data, data_bytes, tenant_id, created_at)
         VALUES ($1, 'deliver', NULL, 'malformed: test', $2, 2, $3, $4)`,
        [`${burst}-${micros}`, `"${burst}"`, defaultId, `2001-01-01T00:00:00.${micros}Z`],
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const res = await harness.admin(
        `/outbound-request-refusals?from=2001-01-01T00:00:00Z&to=2001-01-01T00:00:01Z&limit=1` +
          (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
        { key: operatorKey },
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: any) => String(i.data)));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([`"${burst}"`, `"${burst}"`, `"${burst}"`]);
  });

  it('answers hostile filters, cursors and ids with 4xx, never 5xx, and the app keeps answering', async () => {
    const validUuid = '00000000-0000-4000-8000-000000000000';
    const cursorOf = (value: unknown) =>
      encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64url'));
    const hostile = [
      'reason=bogus',
      'reason=malformed&reason=unknown_job',
      'reason[]=malformed',
      'reason[x]=malformed',
      'reason=malformed%00',
      `reason=${'a'.repeat(4_000)}`,
      'from=not-a-date',
      'from=2026-02-30T00:00:00Z',
      'from=0000-01-01T00:00:00Z',
      'to=9999-12-31T23:59:59-14:00',
      'from=2026-W01',
      'from[]=2026-01-01',
      'limit=0',
      'limit=501',
      'limit=abc',
      'limit=1e3',
      'cursor=garbage',
      `cursor=${cursorOf(['2026-02-30T00:00:00.000Z', validUuid])}`,
      `cursor=${cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])}`,
      `cursor=${cursorOf(['0000-01-01T00:00:00.000Z', validUuid])}`,
      `cursor=${cursorOf(['2026-01-01T00:00:00+23:00', validUuid])}`,
      `cursor=${cursorOf({ at: 1 })}`,
      'tenant=default',
      '__proto__[reason]=malformed',
      'constructor.prototype.reason=malformed',
    ];
    for (const q of hostile) {
      const res = await harness.admin(`/outbound-request-refusals?${q}`, { key: operatorKey });
      expect({ q: q.slice(0, 80), status: res.status }).toEqual({ q: q.slice(0, 80), status: 400 });
    }
    // Odd but real instants: Postgres gets them in canonical UTC form, never as given.
    for (const q of ['from=2026-01-01T00:00:00%2B23:00', 'to=2026-001', 'to=9999-12-31']) {
      const res = await harness.admin(`/outbound-request-refusals?${q}`, { key: operatorKey });
      expect({ q, status: res.status }).toEqual({ q, status: 200 });
    }
    for (const id of ['x', validUuid, `${validUuid}'--`]) {
      const res = await harness.admin(`/outbound-request-refusals/${id}`, { key: operatorKey });
      expect({ id, status: res.status }).toEqual({ id, status: 404 });
    }
    // A NUL in any part of an admin request is refused before routing reaches the service.
    const nul = await harness.admin('/outbound-request-refusals/%00', { key: operatorKey });
    expect(nul.status).toBe(400);
    expect((await harness.admin('/outbound-request-refusals', { key: operatorKey })).status).toBe(
      200,
    );
  });
});
