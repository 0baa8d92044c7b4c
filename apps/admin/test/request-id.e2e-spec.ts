import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';

/**
 * `X-Request-Id` on every admin answer: the caller's when it is usable (short, of a safe
 * alphabet), else a fresh UUID — on successes and on every kind of error, including those
 * answered before any controller runs (authentication, an unreadable body, no route).
 */
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/;

describe('admin API: X-Request-Id', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  async function call(
    path: string,
    init: { method?: string; body?: string; key?: string | null; requestId?: string } = {},
  ): Promise<{ status: number; requestId: string | null }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.key !== null) headers.authorization = `Bearer ${init.key ?? TEST_ADMIN_KEY}`;
    if (init.requestId !== undefined) headers['x-request-id'] = init.requestId;
    const res = await fetch(`${harness.adminUrl}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body,
    });
    await res.arrayBuffer();
    return { status: res.status, requestId: res.headers.get('x-request-id') };
  }

  it.each([
    ['a success', '/api/v1/handlers', {}, 200],
    ['no credentials', '/api/v1/handlers', { key: null }, 401],
    ['a wrong key', '/api/v1/handlers', { key: 'not-a-key-0123456789' }, 401],
    ['an unknown route', '/api/v1/no-such-thing', {}, 404],
    ['a body that is not JSON', '/api/v1/handlers', { method: 'POST', body: '{"code":' }, 400],
    ['a body that fails validation', '/api/v1/handlers', { method: 'POST', body: '{}' }, 400],
  ] as const)('echoes the caller’s id on %s', async (_what, path, init, status) => {
    const requestId = `req-${Date.now().toString(36)}.a:b_c`;
    const res = await call(path, { ...init, requestId });
    expect(res.status).toBe(status);
    expect(res.requestId).toBe(requestId);
  });

  it('generates one when the caller sends none', async () => {
    const first = await call('/api/v1/handlers');
    const second = await call('/api/v1/no-such-thing');
    expect(first.requestId).toMatch(UUID);
    expect(second.requestId).toMatch(UUID);
    expect(first.requestId).not.toBe(second.requestId);
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'two words'],
    ['with markup', '<script>'],
    ['with a quote', 'a"b'],
    ['empty', ''],
  ])('replaces an id %s', async (_what, requestId) => {
    const res = await call('/api/v1/handlers', { requestId });
    expect(res.status).toBe(200);
    expect(res.requestId).toMatch(UUID);
  });

  it('takes an id of the longest allowed length', async () => {
    const requestId = 'r'.repeat(128);
    expect((await call('/api/v1/handlers', { requestId })).requestId).toBe(requestId);
  });
});
