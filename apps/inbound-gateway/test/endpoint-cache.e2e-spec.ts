import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { waitFor } from '../../../test/support/wait';

/**
 * A flood of made-up `/webhooks/<x>` paths against the real gateway (issue 21, item 15):
 * it must not evict the hot endpoint's cached configuration, a repeated unknown path must
 * not cost a query per request, and an endpoint created at a path that was just answered
 * 404 is reachable at once. Queries are counted by the gateway's own metric
 * (`hookgate_inbound_endpoint_lookups_total`). The TTL is long, so only the behaviour under
 * test (not expiry) can make the gateway read an endpoint again; the bound is small, so the
 * flood overflows it many times.
 */
const MAX_ENTRIES = 200;
const FLOOD = 1000;

describe('endpoint cache under a flood of unknown paths', () => {
  let harness: Harness;
  let handlerCode: string;

  beforeAll(async () => {
    harness = await startHarness({
      env: { ENDPOINT_CACHE_TTL_MS: '600000', ENDPOINT_CACHE_MAX_ENTRIES: String(MAX_ENTRIES) },
    });
    handlerCode = (await createHandler(harness, {})).code;
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function lookups(result: 'found' | 'missing'): Promise<number> {
    const text = await (await fetch(`${harness.inboundMetricsUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('hookgate_inbound_endpoint_lookups_total{') &&
          l.includes(`result="${result}"`),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  async function flood(paths: string[], concurrency = 20): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < paths.length) {
          const path = paths[next++];
          const res = await fetch(`${harness.inboundUrl}/webhooks/${path}`, {
            method: 'POST',
            body: '{}',
          });
          await res.arrayBuffer();
          expect(res.status).toBe(404);
        }
      }),
    );
  }

  it('keeps the hot endpoint cached and answers repeated unknown paths without queries', async () => {
    const hot = await createInboundEndpoint(harness, {
      handler: handlerCode,
      signature: { mode: 'none' },
    });
    expect((await post(harness, hot.url, '{"n":1}')).status).toBe(202);
    const foundBefore = await lookups('found');
    expect(foundBefore).toBeGreaterThanOrEqual(1);

    // Distinct made-up paths: five times the bound.
    const missingBefore = await lookups('missing');
    await flood(Array.from({ length: FLOOD }, () => `x${randomBytes(8).toString('hex')}`));
    expect(await lookups('missing')).toBe(missingBefore + FLOOD);

    // One made-up path, over and over: one query, not one per request.
    const repeated = `x${randomBytes(8).toString('hex')}`;
    const beforeRepeat = await lookups('missing');
    await flood(Array.from({ length: 300 }, () => repeated));
    expect(await lookups('missing')).toBe(beforeRepeat + 1);

    // The hot endpoint still answers from the cache: no query for it since the flood.
    expect((await post(harness, hot.url, '{"n":2}')).status).toBe(202);
    expect(await lookups('found')).toBe(foundBefore);
  });

  it('reaches an endpoint created at a path just answered 404, without reloading the others', async () => {
    const hot = await createInboundEndpoint(harness, {
      handler: handlerCode,
      signature: { mode: 'none' },
    });
    expect((await post(harness, hot.url, '{"n":1}')).status).toBe(202);
    const path = unique('created-later');
    expect((await post(harness, `/webhooks/${path}`, '{}')).status).toBe(404);
    expect((await post(harness, `/webhooks/${path}`, '{}')).status).toBe(404);
    const foundBefore = await lookups('found');

    const created = await createInboundEndpoint(harness, {
      path,
      handler: handlerCode,
      signature: { mode: 'none' },
    });
    // The TTL is ten minutes: only the change announcement can make this pass.
    await waitFor(
      async () => ((await post(harness, created.url, '{"n":1}')).status === 202 ? true : undefined),
      { timeoutMs: 10_000, what: 'the new endpoint to answer 202' },
    );
    // The new endpoint was read once; the hot one was not read again.
    expect((await post(harness, hot.url, '{"n":2}')).status).toBe(202);
    expect(await lookups('found')).toBe(foundBefore + 1);
  });
});
