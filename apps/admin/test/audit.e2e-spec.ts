import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { hashApiKey } from '../src/auth/api-key.guard';

/**
 * The audit log against the real admin app and Postgres: every configuration change and
 * operator action writes one entry with the acting key, the action, the entity and
 * redacted before/after; `GET /audit` filters and pages them.
 */
const db = () => process.env.DATABASE_URL!;

describe('admin API: audit log', () => {
  let harness: Harness;
  let bootstrapKeyId: string;

  beforeAll(async () => {
    harness = await startHarness();
    [{ id: bootstrapKeyId }] = await query<{ id: string }>(
      db(),
      `SELECT id FROM api_keys WHERE key_hash = $1`,
      [hashApiKey(TEST_ADMIN_KEY)],
    );
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function entriesFor(entityId: string): Promise<any[]> {
    const res = await harness.admin(`/audit?entityId=${entityId}&limit=100`);
    expect(res.status).toBe(200);
    return [...res.body.items].reverse();
  }

  it('records handler create, update and archive with the acting key', async () => {
    const code = unique('audit-h');
    const created = await harness.admin('/handlers', {
      body: { code, name: 'Audited', direction: 'inbound', executionMode: 'rules' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      (
        await harness.admin(`/handlers/${id}`, {
          method: 'PUT',
          body: { name: 'Renamed', executionMode: 'rules' },
        })
      ).status,
    ).toBe(200);
    expect((await harness.admin(`/handlers/${id}`, { method: 'DELETE' })).status).toBe(200);

    const entries = await entriesFor(id);
    expect(entries.map((e) => e.action)).toEqual([
      'handler.create',
      'handler.update',
      'handler.archive',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        apiKeyId: bootstrapKeyId,
        actor: 'bootstrap (ADMIN_API_KEY)',
        entityType: 'handler',
        entityId: id,
      });
    }
    expect(entries[0].before).toBeNull();
    expect(entries[0].after).toMatchObject({ code, name: 'Audited', active: true });
    expect(entries[1].before).toMatchObject({ name: 'Audited' });
    expect(entries[1].after).toMatchObject({ name: 'Renamed' });
    expect(entries[2].after).toMatchObject({ active: false });
  });
});
