import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';

/**
 * Every error answer of the admin API carries a stable machine-readable `code` beside the
 * contract's `statusCode`, `error` and `message`, and that code is one the OpenAPI document
 * lists: a sample of routes provoked into each kind of error, against the real app.
 */
interface Answer {
  status: number;
  body: any;
}

describe('admin API: error answers carry a stable code', () => {
  let app: INestApplication;
  let url: string;
  let documented: string[];
  let operatorKey: string;

  beforeAll(async () => {
    ({ app, url: url } = await startAdminApp({ ADMIN_API_KEY: TEST_ADMIN_KEY }));
    const doc = (await (await fetch(`${url}/api/docs-json`)).json()) as {
      components: {
        schemas: Record<string, { required?: string[]; enum?: string[] }>;
      };
    };
    expect(doc.components.schemas.ErrorResponse.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'code', 'message']),
    );
    documented = doc.components.schemas.ErrorCode.enum ?? [];
    const key = await call('POST', '/api-keys', { body: { name: unique('op'), role: 'operator' } });
    expect(key.status).toBe(201);
    operatorKey = key.body.key;
  });

  afterAll(async () => {
    await app?.close();
  });

  async function call(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; key?: string | null; type?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (init.key !== null) headers.authorization = `Bearer ${init.key ?? TEST_ADMIN_KEY}`;
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (body !== undefined) headers['content-type'] = init.type ?? 'application/json';
    const res = await fetch(`${url}/api/v1${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  function expectError(answer: Answer, status: number, code: string): void {
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status, code });
    expect(answer.body).toMatchObject({
      statusCode: status,
      error: expect.any(String),
      message: expect.any(String),
    });
    expect(documented).toContain(code);
  }

  it('401 without a key or with an unknown one', async () => {
    expectError(await call('GET', '/handlers', { key: null }), 401, 'unauthorized');
    expectError(await call('GET', '/deliveries', { key: 'hg_not-a-key' }), 401, 'unauthorized');
  });

  it('403 for an operator key on a configuration change', async () => {
    const res = await call('POST', '/handlers', { key: operatorKey, body: {} });
    expectError(res, 403, 'forbidden');
  });

  it('404 for a missing entity, a malformed id and an unknown route or action', async () => {
    expectError(await call('GET', `/handlers/${randomUUID()}`), 404, 'not_found');
    expectError(await call('GET', '/outbound-endpoints/not-a-uuid'), 404, 'not_found');
    expectError(await call('GET', '/no-such-resource'), 404, 'not_found');
    expectError(await call('POST', `/deliveries/${randomUUID()}/explode`), 404, 'not_found');
    expectError(await call('POST', `/deliveries/${randomUUID()}/reset`), 404, 'not_found');
  });

  it('400 validation_failed with the bad fields, malformed_request for unreadable JSON or URL', async () => {
    const invalid = await call('POST', '/inbound-endpoints', { body: { path: 42 } });
    expectError(invalid, 400, 'validation_failed');
    expect(invalid.body.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'path' })]),
    );
    expectError(await call('GET', '/deliveries?state=bogus'), 400, 'validation_failed');
    expectError(await call('POST', '/handlers', { raw: '{"code":' }), 400, 'malformed_request');
    expectError(await call('GET', '/handlers/%FF'), 400, 'malformed_request');
  });

  it('409 conflict for a duplicate and for an illegal transition', async () => {
    const name = unique('dup').toLowerCase();
    expect((await call('POST', '/tenants', { body: { name } })).status).toBe(201);
    expectError(await call('POST', '/tenants', { body: { name } }), 409, 'conflict');

    const code = unique('codes');
    const endpoint = await call('POST', '/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'draft',
        method: 'POST',
        bodyMode: 'json',
        targetHost: 'http://127.0.0.1:1',
        targetPath: '/hooks',
      },
    });
    expect(endpoint.status).toBe(201);
    const delivery = await call('POST', '/deliveries', { body: { endpoint: code, payload: {} } });
    expect(delivery.status).toBe(202);
    expect((await call('POST', `/deliveries/${delivery.body.id}/cancel`)).status).toBe(200);
    const again = await call('POST', `/deliveries/${delivery.body.id}/queue`);
    expectError(again, 409, 'conflict');
    expect(again.body.details).toEqual({ currentState: 'canceled' });
  });

  it('413 payload_too_large for a body over the limit', async () => {
    const raw = JSON.stringify({ name: 'x'.repeat(3 * 1024 * 1024) });
    expectError(await call('POST', '/handlers', { raw }), 413, 'payload_too_large');
  });

  /** Sends `raw` without a declared length (Transfer-Encoding: chunked), 64 KiB a chunk. */
  async function callChunked(path: string, raw: string): Promise<Answer> {
    const bytes = Buffer.from(raw);
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, (offset += 65_536)));
      },
    });
    const res = await fetch(`${url}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  it('413 for a chunked body over the limit: only POST /deliveries takes more than 2 MiB', async () => {
    const raw = JSON.stringify({ name: 'x'.repeat(3 * 1024 * 1024) });
    expectError(await callChunked('/handlers', raw), 413, 'payload_too_large');
    expectError(await callChunked('/inbound-endpoints', raw), 413, 'payload_too_large');
    // The same length to deliveries is read and judged on its fields (files may take ~8.7 MiB).
    const delivery = await callChunked('/deliveries', raw);
    expect(delivery.status).toBe(400);
    expect(delivery.body.code).not.toBe('payload_too_large');
  });
});
