// First: core's command classes record their property types only once Reflect.metadata exists.
import 'reflect-metadata';
import { describeCapabilities, INBOUND_ACTIONS, OUTBOUND_ACTIONS, PRESET_NAMES } from '@app/core';
import { startHarness, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';

/**
 * `GET /api/v1/capabilities`: core's description of what this build can do, served to any
 * live key (the publisher, the lowest role, included) and to no one without one. Its body
 * is core's `describeCapabilities()` itself, so the console sees every preset and action.
 */
describe('admin API: GET /capabilities', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function newKey(role: string): Promise<string> {
    const res = await harness.admin('/api-keys', { body: { name: unique(role), role } });
    expect(res.status).toBe(201);
    return res.body.key;
  }

  it('answers 401 without a key and with an unknown one', async () => {
    const bare = await fetch(`${harness.adminUrl}/api/v1/capabilities`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    const unknown = await harness.admin('/capabilities', { key: 'hg_not-a-key-at-all' });
    expect(unknown.status).toBe(401);
  });

  it("answers a publisher key (and an operator's) with core's description", async () => {
    const expected = JSON.parse(JSON.stringify(describeCapabilities()));
    for (const role of ['publisher', 'operator']) {
      const res = await harness.admin('/capabilities', { key: await newKey(role) });
      expect({ role, status: res.status }).toEqual({ role, status: 200 });
      expect(res.body).toEqual(expected);
    }
    const res = await harness.admin('/capabilities');
    expect(res.status).toBe(200);
    const body = res.body as ReturnType<typeof describeCapabilities>;
    expect(body.signature.presets.map((p) => p.name)).toEqual(PRESET_NAMES);
    expect(body.rules.inbound.actions.map((a) => a.name)).toEqual(INBOUND_ACTIONS);
    expect(body.rules.outbound.actions.map((a) => a.name)).toEqual(OUTBOUND_ACTIONS);
    expect(body.rules.inbound.actions.find((a) => a.name === 'forward')?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'forwardTo', required: true })]),
    );
  });
});
