import { Queue } from 'bullmq';
import { QueueName } from '@app/messaging';
import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';

/**
 * The queue UI (Bull Board at /api/queues) against the real admin app and Redis: no or a
 * bad key is a 401 that makes a browser prompt, an operator key and another tenant's admin
 * key are 403s, an admin key of the default tenant gets the UI, by bearer header or as the
 * Basic auth password, and its JSON API lists the product's queues with their counts.
 * Its 401/403 bodies are the admin API's error shape, with the API's `code`s.
 */
const UNAUTHORIZED = (message: string) => ({
  statusCode: 401,
  error: 'Unauthorized',
  code: 'unauthorized',
  message,
});
const FORBIDDEN = (message: string) => ({
  statusCode: 403,
  error: 'Forbidden',
  code: 'forbidden',
  message,
});
const MISSING = 'missing API key (Bearer, or Basic with the key as password)';
const UNKNOWN = 'unknown or revoked API key';
const NOT_ADMIN = 'the queue UI needs an admin key';
const NOT_DEFAULT = 'the queue UI spans every tenant: it needs an admin key of the default tenant';

describe('admin app: queue UI behind the admin role', () => {
  let harness: Harness;
  let operatorKey: string;
  let otherTenantAdminKey: string;
  let revokedKey: string;
  let requests: Queue;
  let probeJobId: string;

  const board = (path: string, authorization?: string) =>
    fetch(`${harness.adminUrl}/api/queues${path}`, {
      headers: authorization ? { authorization } : {},
    });
  const basic = (key: string) => `Basic ${Buffer.from(`ops:${key}`).toString('base64')}`;

  beforeAll(async () => {
    harness = await startHarness();
    const operator = await harness.admin('/api-keys', {
      body: { name: 'queue-ui operator', role: 'operator' },
    });
    expect(operator.status).toBe(201);
    operatorKey = operator.body.key;
    const tenant = await harness.admin('/tenants', { body: { name: unique('qb') } });
    expect(tenant.status).toBe(201);
    otherTenantAdminKey = tenant.body.adminKey.key;
    const doomed = await harness.admin('/api-keys', {
      body: { name: 'queue-ui revoked', role: 'admin' },
    });
    expect(doomed.status).toBe(201);
    revokedKey = doomed.body.key;
    expect((await harness.admin(`/api-keys/${doomed.body.id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    // One job, delayed by an hour so no dispatcher of this run takes it, for the API to count.
    requests = new Queue(QueueName.OutboundRequests, {
      connection: { url: process.env.REDIS_URL },
      prefix: process.env.QUEUE_PREFIX,
    });
    probeJobId = unique('qb-job');
    await requests.add('publish', { probe: true }, { jobId: probeJobId, delay: 3_600_000 });
  });

  afterAll(async () => {
    await requests?.remove(probeJobId).catch(() => undefined);
    await requests?.close();
    await harness?.close();
  });

  it('answers 401 without a key, with a Basic challenge so a browser prompts', async () => {
    for (const path of ['', '/api/queues']) {
      const res = await board(path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Hookgate queues"/);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toStrictEqual(UNAUTHORIZED(MISSING));
    }
    // A header that is neither Bearer nor Basic carries no key either.
    const odd = await board('', 'Token abc');
    expect(odd.status).toBe(401);
    expect(await odd.json()).toStrictEqual(UNAUTHORIZED(MISSING));
  });

  it('answers 401 for an unknown or revoked key, in the API’s error shape', async () => {
    for (const authorization of [
      'Bearer not-a-key-0123456789',
      basic('not-a-key-0123456789'),
      `Bearer ${revokedKey}`,
      basic(revokedKey),
    ]) {
      const res = await board('', authorization);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Hookgate queues"/);
      expect(await res.json()).toStrictEqual(UNAUTHORIZED(UNKNOWN));
    }
  });

  it('answers 403 for an operator key and for another tenant’s admin key', async () => {
    for (const [path, authorization] of [
      ['', `Bearer ${operatorKey}`],
      ['/api/queues', basic(operatorKey)],
    ]) {
      const res = await board(path, authorization);
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(await res.json()).toStrictEqual(FORBIDDEN(NOT_ADMIN));
    }
    const otherTenant = await board('/api/queues', `Bearer ${otherTenantAdminKey}`);
    expect(otherTenant.status).toBe(403);
    expect(await otherTenant.json()).toStrictEqual(FORBIDDEN(NOT_DEFAULT));
  });

  it('its 401/403 bodies have the same keys and codes as the API’s own', async () => {
    const api = (path: string, authorization?: string) =>
      fetch(`${harness.adminUrl}/api/v1${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ name: unique('qb-shape') }),
      });
    const apiUnauthorized = await api('/tenants');
    expect(apiUnauthorized.status).toBe(401);
    const apiForbidden = await api('/tenants', `Bearer ${operatorKey}`);
    expect(apiForbidden.status).toBe(403);
    const boardUnauthorized = await board('', 'Bearer not-a-key-0123456789');
    const boardForbidden = await board('', `Bearer ${operatorKey}`);
    const shape = (json: unknown) => {
      const body = json as Record<string, unknown>;
      return {
        keys: Object.keys(body).sort(),
        statusCode: body.statusCode,
        error: body.error,
        code: body.code,
      };
    };
    expect(shape(await boardUnauthorized.json())).toStrictEqual(
      shape(await apiUnauthorized.json()),
    );
    expect(shape(await boardForbidden.json())).toStrictEqual(shape(await apiForbidden.json()));
  });

  it('serves the UI to an admin key, by bearer header or as the Basic password', async () => {
    for (const authorization of [`Bearer ${TEST_ADMIN_KEY}`, basic(TEST_ADMIN_KEY)]) {
      const res = await board('', authorization);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('Hookgate queues');
    }
  });

  it("lists the product's queues with their counts in the UI's JSON API", async () => {
    const res = await board('/api/queues', basic(TEST_ADMIN_KEY));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      queues: Array<{ name: string; counts: Record<string, number> }>;
    };
    expect(body.queues.map((q) => q.name).sort()).toEqual(
      [QueueName.InboundEvents, QueueName.OutboundDeliveries, QueueName.OutboundRequests].sort(),
    );
    const requests = body.queues.find((q) => q.name === QueueName.OutboundRequests);
    expect(requests?.counts.delayed).toBeGreaterThanOrEqual(1);
  });
});
