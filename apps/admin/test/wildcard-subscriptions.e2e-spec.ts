import { startHarness, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';

/**
 * Issue 21, item 2, against the real admin app: a tenant admin subscribes an outbound
 * endpoint to `*a*a*a*a*a*a*a*a*a*a*a*a*a`; publishing a 36-character type that almost
 * matches then took 19 s of the admin's event loop as a backtracking RegExp, exponential
 * in the type's length. The endpoint stays a draft, so nothing it gets is ever sent.
 */
const PATHOLOGICAL = '*a'.repeat(13);
const NEAR_MISS = 'a'.repeat(35) + 'b';
// Generous for a loaded CI host; the old matcher needed 19 s (and minutes when loaded).
const PROMPT_MS = 2_000;

describe('admin API: wildcard subscriptions cannot freeze the admin', () => {
  let harness: Harness;
  let endpointId: string | undefined;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    if (endpointId) await harness?.admin(`/outbound-endpoints/${endpointId}`, { method: 'DELETE' });
    await harness?.close();
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
    const started = performance.now();
    const result = await work();
    return { ms: performance.now() - started, result };
  }

  it('publishes a near-miss event type promptly and keeps answering /health', async () => {
    const code = unique('wild');
    const created = await harness.admin('/outbound-endpoints', {
      body: {
        code,
        name: `Endpoint ${code}`,
        state: 'draft',
        method: 'POST',
        bodyMode: 'json',
        targetHost: 'http://127.0.0.1:1234',
        targetPath: '/events',
        eventTypes: [PATHOLOGICAL],
      },
    });
    expect(created.status).toBe(201);
    endpointId = created.body.id;

    const [publish, health] = await Promise.all([
      timed(() => harness.admin('/events', { body: { eventType: NEAR_MISS, payload: {} } })),
      timed(async () => {
        // Asked just after the publish, so an event loop blocked by it would delay this too.
        await new Promise((resolve) => setImmediate(resolve));
        return fetch(`${harness.adminUrl}/health`);
      }),
    ]);
    expect(publish.result.status).toBe(202);
    expect(publish.result.body.deliveries).toEqual([]);
    expect(publish.ms).toBeLessThan(PROMPT_MS);
    expect(health.result.status).toBe(200);
    expect(health.ms).toBeLessThan(PROMPT_MS);

    // The pattern still means what it says: thirteen a's, ending in one, is subscribed.
    const hit = await harness.admin('/events', {
      body: { eventType: `x${'a'.repeat(13)}`, payload: {} },
    });
    expect(hit.status).toBe(202);
    expect(hit.body.deliveries.map((d: { endpointCode: string }) => d.endpointCode)).toEqual([
      code,
    ]);
    expect(hit.body.deliveries[0].state).toBe('draft');
  });

  it('refuses event types and subscription patterns over the 200-character limit', async () => {
    const long = 'a'.repeat(201);
    expect(
      (await harness.admin('/events', { body: { eventType: long, payload: {} } })).status,
    ).toBe(400);
    const code = unique('wild');
    const refused = await harness.admin('/outbound-endpoints', {
      body: {
        code,
        name: code,
        method: 'POST',
        bodyMode: 'json',
        targetHost: 'http://127.0.0.1:1234',
        targetPath: '/events',
        eventTypes: [long],
      },
    });
    expect(refused.status).toBe(400);
  });
});
