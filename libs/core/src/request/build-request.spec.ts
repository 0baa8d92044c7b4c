import { createHmac } from 'node:crypto';
import { ProcessingConfigurationError, UnresolvedTokenError } from '../errors/errors';
import { buildOutboundRequest, deliveryEventFields } from './build-request';
import type { BuildRequestInput, RequestSpec } from './request.types';

const now = new Date('2024-05-01T12:00:00.900Z');

function input(
  spec: Partial<RequestSpec> = {},
  extra: Partial<BuildRequestInput> = {},
): BuildRequestInput {
  return {
    spec: {
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'https://api.example.com/v1/',
      targetPath: '/orders/{orderId}/events',
      headerRules: [],
      payloadRules: [],
      replacePayload: false,
      signing: { type: 'none' },
      auth: { type: 'none' },
      ...spec,
    },
    payload: { order: { id: 'o1', total: 10 }, note: 'a b' },
    context: { orderId: 'o/1', tenant: 'acme' },
    delivery: {
      id: 'dlv_01',
      createdAt: new Date('2024-05-01T11:00:00Z'),
      eventType: 'order.paid',
      idempotencyKey: 'k1',
    },
    now,
    ...extra,
  };
}

describe('buildOutboundRequest', () => {
  it('builds a JSON request: URL from host + templated path, content type, body', () => {
    const request = buildOutboundRequest(input());
    expect(request).toEqual({
      method: 'POST',
      url: 'https://api.example.com/v1/orders/o%2F1/events',
      headers: { 'Content-Type': 'application/json' },
      bodyMode: 'json',
      body: Buffer.from(JSON.stringify({ order: { id: 'o1', total: 10 }, note: 'a b' })),
    });
  });

  it('encodes form bodies', () => {
    const request = buildOutboundRequest(input({ bodyMode: 'form', method: 'PUT' }));
    expect(request.method).toBe('PUT');
    expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(request.body.toString()).toBe('order%5Bid%5D=o1&order%5Btotal%5D=10&note=a+b');
  });

  it('encodes multipart bodies with a boundary derived from the delivery id', () => {
    const first = buildOutboundRequest(input({ bodyMode: 'multipart' }));
    const again = buildOutboundRequest(input({ bodyMode: 'multipart' }));
    expect(first.body.equals(again.body)).toBe(true);
    const contentType = first.headers['Content-Type'];
    expect(contentType).toMatch(/^multipart\/form-data; boundary=hookgate-[0-9a-f]{32}$/);
    const boundary = contentType.split('boundary=')[1];
    expect(first.body.toString()).toContain(
      `--${boundary}\r\nContent-Disposition: form-data; name="order[id]"\r\n\r\no1\r\n`,
    );
    const other = buildOutboundRequest(
      input({ bodyMode: 'multipart' }, { delivery: { id: 'dlv_02', createdAt: now } }),
    );
    expect(other.headers['Content-Type']).not.toBe(contentType);
  });

  it('keeps the multipart content type even if a header rule sets one', () => {
    const request = buildOutboundRequest(
      input({
        bodyMode: 'multipart',
        headerRules: [{ name: 'content-type', value: 'text/plain' }],
      }),
    );
    expect(request.headers['Content-Type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.headers['content-type']).toBeUndefined();
  });

  it('lets header rules override the JSON content type', () => {
    const request = buildOutboundRequest(
      input({ headerRules: [{ name: 'content-type', value: 'application/vnd.api+json' }] }),
    );
    expect(request.headers).toEqual({ 'content-type': 'application/vnd.api+json' });
  });

  it('layers headers: rules → auth → connector → signature, case-insensitively', () => {
    const request = buildOutboundRequest(
      input(
        {
          headerRules: [
            { name: 'X-Tenant', value: '{tenant}' },
            { name: 'authorization', value: 'from-rule' },
            { name: ' X-Trimmed ', value: 'v' },
            { name: 'webhook-id', value: 'spoofed' },
          ],
          auth: { type: 'bearer', token: 'endpoint-token' },
          signing: {
            type: 'standard-webhooks',
            secret: `whsec_${Buffer.from('secret-key').toString('base64')}`,
          },
        },
        { connectorHeaders: { AUTHORIZATION: 'Bearer connector', 'X-Connector': 'c' } },
      ),
    );
    expect(request.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Tenant': 'acme',
      'X-Trimmed': 'v',
      AUTHORIZATION: 'Bearer connector',
      'X-Connector': 'c',
      'webhook-id': 'dlv_01',
      'webhook-timestamp': '1714564800',
    });
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers.Authorization).toBeUndefined();
    const expected = createHmac('sha256', Buffer.from('secret-key'))
      .update(Buffer.concat([Buffer.from('dlv_01.1714564800.'), request.body]))
      .digest('base64');
    expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('signs the final body with hmac', () => {
    const request = buildOutboundRequest(
      input({
        payloadRules: [{ path: 'extra', source: { kind: 'literal', value: true } }],
        signing: { type: 'hmac', secret: 'k', header: 'X-Signature', prefix: 'sha256=' },
      }),
    );
    const expected = createHmac('sha256', 'k').update(request.body).digest('hex');
    expect(request.headers['X-Signature']).toBe(`sha256=${expected}`);
    expect(JSON.parse(request.body.toString())).toMatchObject({ extra: true });
  });

  it('applies payload rules with context and delivery facts as sources', () => {
    const request = buildOutboundRequest(
      input({
        replacePayload: true,
        payloadRules: [
          { path: 'id', source: { kind: 'payload', path: 'order.id' } },
          { path: 'tenant', source: { kind: 'context', key: 'tenant' } },
          { path: 'delivery', source: { kind: 'event', field: 'id' } },
          { path: 'type', source: { kind: 'event', field: 'eventType' } },
          { path: 'key', source: { kind: 'event', field: 'idempotencyKey' } },
          { path: 'created', source: { kind: 'event', field: 'createdAt' } },
        ],
      }),
    );
    expect(JSON.parse(request.body.toString())).toEqual({
      id: 'o1',
      tenant: 'acme',
      delivery: 'dlv_01',
      type: 'order.paid',
      key: 'k1',
      created: '2024-05-01T11:00:00.000Z',
    });
  });

  it('adds an api key in the query and as a header', () => {
    expect(
      buildOutboundRequest(
        input({ auth: { type: 'api_key', in: 'query', name: 'key', value: 's3cr3t' } }),
      ).url,
    ).toBe('https://api.example.com/v1/orders/o%2F1/events?key=s3cr3t');
    expect(
      buildOutboundRequest(
        input({ auth: { type: 'api_key', in: 'header', name: 'X-Key', value: 's' } }),
      ).headers['X-Key'],
    ).toBe('s');
  });

  it('adds basic auth', () => {
    const request = buildOutboundRequest(
      input({ auth: { type: 'basic', username: 'u', password: 'p' } }),
    );
    expect(request.headers.Authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('encodes a missing payload as JSON null', () => {
    expect(buildOutboundRequest(input({}, { payload: undefined })).body.toString()).toBe('null');
  });

  it('is deterministic', () => {
    const spec = {
      signing: { type: 'hmac' as const, secret: 'k', header: 'X-Sig', timestamped: true },
    };
    expect(buildOutboundRequest(input(spec))).toEqual(buildOutboundRequest(input(spec)));
  });

  describe('refusals (configuration errors, never sent)', () => {
    it('an unresolved path token', () => {
      expect(() => buildOutboundRequest(input({}, { context: {} }))).toThrow(UnresolvedTokenError);
    });

    it('an unresolved header token', () => {
      expect(() =>
        buildOutboundRequest(input({ headerRules: [{ name: 'X-User', value: '{userId}' }] })),
      ).toThrow(UnresolvedTokenError);
    });

    it.each<[string, Partial<RequestSpec>, Partial<BuildRequestInput>, RegExp]>([
      ['a blank host', { targetHost: '' }, {}, /not an absolute URL/],
      ['a non-http host', { targetHost: 'file:///etc' }, {}, /http or https/],
      [
        'an unknown method',
        { method: 'OPTIONS' as 'POST' },
        {},
        /Unsupported HTTP method "OPTIONS"/,
      ],
      ['an unknown body mode', { bodyMode: 'xml' as 'json' }, {}, /Unsupported body mode "xml"/],
      ['a nameless header rule', { headerRules: [{ name: ' ', value: 'x' }] }, {}, /no name/],
      [
        'a bad header name',
        { headerRules: [{ name: 'X Bad', value: 'x' }] },
        {},
        /Invalid header name/,
      ],
      [
        'a header value with a newline from the context',
        { headerRules: [{ name: 'X-T', value: '{tenant}' }] },
        { context: { orderId: '1', tenant: 'a\r\nInjected: yes' } },
        /control/,
      ],
      ['an unbalanced path template', { targetPath: '/orders/{orderId' }, {}, /Unbalanced/],
      [
        'a form body from a scalar payload',
        { bodyMode: 'form' },
        { payload: 'text' },
        /object payload/,
      ],
      [
        'a JSON body that cannot be encoded',
        {},
        { payload: { n: 1n } },
        /cannot be encoded as JSON/,
      ],
    ])('%s', (_label, spec, extra, reason) => {
      const run = () => buildOutboundRequest(input(spec, extra));
      expect(run).toThrow(ProcessingConfigurationError);
      expect(run).toThrow(reason);
    });
  });

  it('tolerates missing optional spec lists', () => {
    const spec = {
      headerRules: undefined,
      payloadRules: undefined,
      signing: undefined,
    } as unknown as Partial<RequestSpec>;
    expect(buildOutboundRequest(input(spec)).headers).toEqual({
      'Content-Type': 'application/json',
    });
  });
});

describe('deliveryEventFields', () => {
  it('exposes the delivery facts payload rules read', () => {
    expect(deliveryEventFields({ id: 'd', createdAt: new Date(0) })).toEqual({
      id: 'd',
      createdAt: '1970-01-01T00:00:00.000Z',
      eventType: null,
      idempotencyKey: null,
    });
  });
});

describe('buildOutboundRequest with a deliver request’s files', () => {
  const files = [
    {
      field: 'doc',
      filename: 'a.pdf',
      contentType: 'application/pdf',
      data: Buffer.from([0, 13, 10, 255]),
    },
    { field: 'note', filename: 'n.txt', data: Buffer.from('hi') },
  ];

  it('sends them as file parts after the payload fields, the same bytes on every build', async () => {
    const built = buildOutboundRequest(input({ bodyMode: 'multipart' }, { files }));
    const form = await new Response(built.body, {
      headers: { 'content-type': built.headers['Content-Type'] },
    }).formData();
    const entries = [...form.entries()];
    expect(entries.map(([name]) => name)).toEqual([
      'order[id]',
      'order[total]',
      'note',
      'doc',
      'note',
    ]);
    const doc = form.get('doc') as File;
    expect([doc.name, doc.type]).toEqual(['a.pdf', 'application/pdf']);
    expect(Buffer.from(await doc.arrayBuffer())).toEqual(files[0].data);
    const note = form.getAll('note')[1] as File;
    expect([note.name, note.type]).toEqual(['n.txt', 'application/octet-stream']);
    expect(buildOutboundRequest(input({ bodyMode: 'multipart' }, { files })).body).toEqual(
      built.body,
    );
  });

  it('refuses them for a body mode that cannot carry files', () => {
    for (const bodyMode of ['json', 'form'] as const) {
      expect(() => buildOutboundRequest(input({ bodyMode }, { files }))).toThrow(
        ProcessingConfigurationError,
      );
    }
  });
});
