import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';

/**
 * What the operator console needs from the admin app: `/me` says who a key is (the console
 * follows its role), and `/console` serves the built SPA on the API's origin, with a deep
 * link answered by index.html, its own security headers, and `/api` left untouched.
 * (`npm run build` builds dist/console before the e2e tests run.)
 */
describe('admin app: /me and the console at /console', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('GET /me describes the calling key: admin, operator, none', async () => {
    const admin = await harness.admin('/me');
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({
      keyId: expect.any(String),
      name: 'bootstrap (ADMIN_API_KEY)',
      role: 'admin',
      tenantId: expect.any(String),
    });

    const created = await harness.admin('/api-keys', {
      body: { name: unique('console-operator'), role: 'operator' },
    });
    expect(created.status).toBe(201);
    const operator = await harness.admin('/me', { key: created.body.key });
    expect(operator.status).toBe(200);
    expect(operator.body).toEqual({
      keyId: created.body.id,
      name: created.body.name,
      role: 'operator',
      tenantId: admin.body.tenantId,
    });

    await harness.admin(`/api-keys/${created.body.id}`, { method: 'DELETE' });
    expect((await harness.admin('/me', { key: created.body.key })).status).toBe(401);
    expect((await fetch(`${harness.adminUrl}/api/v1/me`)).status).toBe(401);
  });

  it('serves the SPA at /console, deep links included, with its security headers', async () => {
    for (const path of ['/console', '/console/', '/console/events/abc?state=dead_letter']) {
      const res = await fetch(`${harness.adminUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('<div id="root"></div>');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const dist = join(__dirname, '..', '..', '..', 'dist', 'console', 'assets');
    const script = readdirSync(dist).find((name) => name.endsWith('.js'))!;
    const asset = await fetch(`${harness.adminUrl}/console/assets/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('leaves /api to the API: no fallback page, no console headers', async () => {
    const api = await fetch(`${harness.adminUrl}/api/v1/handlers`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect(api.headers.get('content-security-policy')).toBeNull();
    const unknown = await fetch(`${harness.adminUrl}/api/v1/console`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
    // Only reads fall back to the page.
    expect((await fetch(`${harness.adminUrl}/console/events`, { method: 'POST' })).status).toBe(
      404,
    );
  });
});
