import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@app/platform';
import { createInboundGateway } from '../apps/inbound-gateway/src/main';
import { InboundGatewayConfig } from '../apps/inbound-gateway/src/config';
import { createDispatcher } from '../apps/outbound-dispatcher/src/main';
import { OutboundDispatcherConfig } from '../apps/outbound-dispatcher/src/config';
import { validateOpenApi } from './support/openapi';
import { distWriterThread } from './support/processes';

/**
 * The gateway and the dispatcher describe their HTTP surface too (the admin API has its own
 * test): valid OpenAPI 3 JSON at /api/docs-json, with the raw webhook route, health and
 * (the dispatcher's) metrics; no docs UI on the public receiver, and no /metrics on it
 * (the gateway serves them on a listener of its own).
 */
type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { operationId?: string; summary?: string; responses: Record<string, unknown> }>
  >;
};

describe('OpenAPI documents of the gateway and the dispatcher', () => {
  const apps: INestApplication[] = [];
  const env = {
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: process.env.QUEUE_PREFIX,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    INBOUND_METRICS_PORT: '0',
  };

  async function serve(app: INestApplication): Promise<string> {
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function documentAt(
    url: string,
    operations = ['/health', '/health/ready', '/metrics'],
  ): Promise<Doc> {
    const res = await fetch(`${url}/api/docs-json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toMatch(/^3\./);
    const result = await validateOpenApi(doc);
    expect(result.errors).toBeNull();
    expect(result.valid).toBe(true);
    for (const path of operations) {
      expect(doc.paths[path]?.get?.summary).toBeTruthy();
      expect(doc.paths[path].get.responses['200']).toBeDefined();
    }
    return doc;
  }

  it('the gateway documents ANY /webhooks/<path> with its answers, and serves no UI', async () => {
    const url = await serve(
      await createInboundGateway(loadConfig(InboundGatewayConfig, env), {
        writerThreadScript: distWriterThread(),
      }),
    );
    const doc = await documentAt(url, ['/health', '/health/ready']);
    expect(doc.paths['/metrics']).toBeUndefined();
    const webhook = doc.paths['/webhooks/{path}'];
    expect(Object.keys(webhook).sort()).toEqual(['get', 'post', 'put']);
    expect(Object.values(webhook).map((op) => op.operationId)).toEqual([
      'receiveWebhookPost',
      'receiveWebhookGet',
      'receiveWebhookPut',
    ]);
    expect(doc.paths['/health'].get.operationId).toBe('getLiveness');
    expect(Object.keys(webhook.post.responses).sort()).toEqual(
      ['200', '202', '400', '401', '404', '413', '503'].sort(),
    );
    expect((await fetch(`${url}/api/docs`)).status).toBe(404);
    // The webhook route still answers as before next to the docs.
    const unknown = await fetch(`${url}/webhooks/no-such-endpoint`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found' });
  });

  it('the dispatcher documents its health and metrics', async () => {
    const url = await serve(await createDispatcher(loadConfig(OutboundDispatcherConfig, env)));
    const doc = await documentAt(url);
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/health/ready', '/metrics']);
  });
});
