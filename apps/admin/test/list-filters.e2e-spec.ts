import { startHarness, type Harness } from '../../../test/support/harness';

/**
 * Time filters and cursors of every keyset-paginated admin list, against the real app and
 * Postgres: a value that looks like a date but is none Postgres takes (2026-02-30, year 0,
 * a cursor naming no uuid) is a 400 naming the field, never a 500 from Postgres; odd but
 * real instants are answered, since Postgres gets them in canonical UTC form.
 */
const LISTS = ['/audit', '/deliveries', '/inbound-events', '/outbound-request-refusals'];
const cursorOf = (value: unknown) =>
  encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64url'));
const UUID = '00000000-0000-4000-8000-000000000000';

describe('admin API: list filters and cursors', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('refuses impossible dates and foreign cursors with 400 on every list', async () => {
    const refused = [
      'from=2026-02-30T00:00:00Z',
      'to=0000-01-01T00:00:00Z',
      'from=2026-01-01T24:00:00Z',
      'to=9999-12-31T23:59:59-14:00',
      `cursor=${cursorOf(['2026-02-30T00:00:00.000Z', UUID])}`,
      `cursor=${cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])}`,
      `cursor=${cursorOf(['2026-01-01T00:00:00+23:00', UUID])}`,
    ];
    const answers: string[] = [];
    for (const list of LISTS) {
      for (const q of refused) {
        const res = await harness.admin(`${list}?${q}`);
        answers.push(`${list}?${q.slice(0, 60)} → ${res.status}`);
      }
    }
    expect(answers.filter((a) => !a.endsWith('→ 400'))).toEqual([]);

    const replay = await harness.admin('/deliveries/replay', {
      body: { from: '2026-02-30T00:00:00Z' },
    });
    expect(replay.status).toBe(400);
  });

  it('answers odd but real instants on every list', async () => {
    for (const list of LISTS) {
      for (const q of ['from=2026-01-01T00:00:00%2B23:00', 'to=9999-12-31', 'from=2026-001']) {
        const res = await harness.admin(`${list}?${q}`);
        expect({ list, q, status: res.status }).toEqual({ list, q, status: 200 });
      }
    }
  });
});
