import type { INestApplication } from '@nestjs/common';
import { QueueName } from '@app/messaging';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import { waitFor } from '../../../test/support/wait';
import { PrivateRedis } from '../../../test/chaos/support/private-redis';

/**
 * The queue UI (Bull Board at /api/queues) while Redis is down, on a Redis server of the
 * test's own (the shared one is never stopped). The admin has no queue routes of its own
 * under /api/v1: the board's JSON API is the only one that reads Redis. Each of its
 * reading routes must answer by a deadline (no hang) with the admin API's 503
 * `unavailable`, an action (pause) is refused the same way and not carried out later, the UI page itself
 * still loads, the rest of the admin API keeps answering
 * 200, the process keeps serving, and once Redis is back the board lists the queues again.
 */
jest.setTimeout(60_000);
const DEADLINE_MS = 5_000;

describe('admin app: the queue UI while Redis is down', () => {
  let redis: PrivateRedis;
  let app: INestApplication;
  let url: string;
  let redisDown = false;
  const basic = `Basic ${Buffer.from(`ops:${TEST_ADMIN_KEY}`).toString('base64')}`;
  const get = (path: string, authorization = basic, method = 'GET') =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization },
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
  const queueNames = Object.values(QueueName) as string[];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    ({ app, url } = await startAdminApp({
      REDIS_URL: redis.url,
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      LOG_LEVEL: 'fatal',
    }));
  });

  afterAll(async () => {
    if (redisDown) await redis.restart().catch(() => undefined);
    await app?.close();
    await redis?.stop();
  });

  it('answers 503 unavailable by the deadline, keeps the rest serving, and works again once Redis is back', async () => {
    const listed = async () => {
      const res = await get('/api/queues/api/queues');
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { queues: Array<{ name: string; isPaused: boolean }> };
      return body.queues.map((q) => `${q.name} paused=${q.isPaused}`).sort();
    };
    const expected = queueNames.map((name) => `${name} paused=false`).sort();
    expect(await listed()).toEqual(expected);

    await redis.kill();
    redisDown = true;
    const calls: Array<[method: string, path: string]> = [
      ['GET', '/api/queues/api/queues'],
      ['GET', '/api/queues/api/redis/stats'],
      ['GET', `/api/queues/api/queues/${QueueName.OutboundDeliveries}/no-such-job`],
      // An action too: refused, and not carried out later (see the listing below).
      ['PUT', `/api/queues/api/queues/${QueueName.OutboundDeliveries}/pause`],
    ];
    for (const [method, path] of calls) {
      const started = Date.now();
      const res = await get(path, basic, method);
      const body = (await res.json()) as Record<string, unknown>;
      expect({ path, status: res.status, code: body.code, statusCode: body.statusCode }).toEqual({
        path,
        status: 503,
        code: 'unavailable',
        statusCode: 503,
      });
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    }
    // The page itself reads no Redis: it loads, and would show the API's errors.
    const page = await get('/api/queues');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Hookgate queues');
    // The rest of the admin API and liveness keep answering.
    const handlers = await get('/api/v1/handlers', `Bearer ${TEST_ADMIN_KEY}`);
    expect(handlers.status).toBe(200);
    expect((await get('/health')).status).toBe(200);

    await redis.restart();
    redisDown = false;
    expect(
      await waitFor(listed, { timeoutMs: 20_000, what: 'the board lists the queues again' }),
    ).toEqual(expected);
  });
});
