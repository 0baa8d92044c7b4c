import { createHmac } from 'node:crypto';
import { ProcessingConfigurationError } from '../errors/errors';
import { buildOutboundRequest } from './build-request';
import { bodyModeProblem, resolveQueryParams } from './query-rules';
import type { BuildRequestInput, RequestSpec } from './request.types';

const now = new Date('2024-05-01T12:00:00.900Z');

function input(spec: Partial<RequestSpec> = {}, payload: unknown = {}): BuildRequestInput {
  return {
    spec: {
      method: 'GET',
      bodyMode: 'none',
      targetHost: 'https://api.example.com/v1',
      targetPath: '/orders/{orderId}',
      headerRules: [],
      payloadRules: [],
      replacePayload: false,
      signing: { type: 'none' },
      auth: { type: 'none' },
      ...spec,
    },
    payload,
    context: { orderId: 'o1', region: 'eu' },
    delivery: { id: 'dlv_01', createdAt: new Date('2024-05-01T11:00:00Z') },
    now,
  };
}

describe('resolveQueryParams', () => {
  const scope = {
    payload: { n: 5, ok: true, none: null, tags: ['a', 'b'], obj: { x: 1 }, s: 'é &x' },
    context: { region: 'eu' },
  };

  it('turns each source into text: scalars, null as empty, arrays repeated, objects as JSON', () => {
    expect(
      resolveQueryParams(
        [
          { name: 'n', source: { kind: 'payload', path: 'n' } },
          { name: 'ok', source: { kind: 'payload', path: 'ok' } },
          { name: 'none', source: { kind: 'payload', path: 'none' } },
          { name: 'tag', source: { kind: 'payload', path: 'tags' } },
          { name: 'obj', source: { kind: 'payload', path: 'obj' } },
          { name: 's', source: { kind: 'payload', path: 's' } },
          { name: 'region', source: { kind: 'context', key: 'region' } },
          { name: 'missing', source: { kind: 'payload', path: 'nope' } },
          { name: 'fallback', source: { kind: 'payload', path: 'nope' }, default: 'd' },
          { name: 'up', source: { kind: 'payload', path: 's' }, transform: 'uppercase' },
        ],
        scope,
      ),
    ).toEqual([
      ['n', '5'],
      ['ok', 'true'],
      ['none', ''],
      ['tag', 'a'],
      ['tag', 'b'],
      ['obj', '{"x":1}'],
      ['s', 'é &x'],
      ['region', 'eu'],
      ['fallback', 'd'],
      ['up', 'É &X'],
    ]);
  });

  it('names the rule when a transform cannot convert its value', () => {
    expect(() =>
      resolveQueryParams(
        [{ name: 'q', source: { kind: 'payload', path: 's' }, transform: 'number' }],
        scope,
      ),
    ).toThrow(/Query rule "q"/);
  });
});

describe('bodyModeProblem', () => {
  it('lets GET and HEAD go only with bodyMode none; none fits every method', () => {
    expect(bodyModeProblem('GET', 'json')).toMatch(/bodyMode must be "none"/);
    expect(bodyModeProblem('HEAD', 'form')).toMatch(/bodyMode must be "none"/);
    expect(bodyModeProblem('GET', 'none')).toBeNull();
    expect(bodyModeProblem('POST', 'none')).toBeNull();
    expect(bodyModeProblem('DELETE', 'json')).toBeNull();
  });
});

describe('buildOutboundRequest without a body', () => {
  it('sends GET with no body, no content type, and the mapped query after the path’s own', () => {
    const request = buildOutboundRequest(
      input(
        {
          targetPath: '/orders/{orderId}?fixed=1',
          queryRules: [
            { name: 'status', source: { kind: 'payload', path: 'order.status' } },
            { name: 'region', source: { kind: 'context', key: 'region' } },
          ],
        },
        { order: { status: 'paid' } },
      ),
    );
    expect(request).toEqual({
      method: 'GET',
      url: 'https://api.example.com/v1/orders/o1?fixed=1&status=paid&region=eu',
      headers: {},
      bodyMode: 'none',
      body: Buffer.alloc(0),
    });
  });

  it('never lets a mapped value change the host, the path or the fragment', () => {
    const hostile = '../../admin?x=1&y=2#frag @evil.example/';
    const request = buildOutboundRequest(
      input(
        { queryRules: [{ name: 'q&r=#', source: { kind: 'payload', path: 'v' } }] },
        { v: hostile },
      ),
    );
    const url = new URL(request.url);
    expect(url.host).toBe('api.example.com');
    expect(url.pathname).toBe('/v1/orders/o1');
    expect(url.hash).toBe('');
    expect([...url.searchParams]).toEqual([['q&r=#', hostile]]);
  });

  it('keeps the api-key query parameter after the mapped ones', () => {
    const request = buildOutboundRequest(
      input(
        {
          queryRules: [{ name: 'id', source: { kind: 'literal', value: 7 } }],
          auth: { type: 'api_key', in: 'query', name: 'key', value: 's3cret' },
        },
        {},
      ),
    );
    expect(request.url).toBe('https://api.example.com/v1/orders/o1?id=7&key=s3cret');
  });

  it('signs the empty body (hmac over "", standard-webhooks over "<id>.<t>.")', () => {
    const hmac = buildOutboundRequest(
      input({
        signing: { type: 'hmac', secret: 'k', header: 'X-Sig', digest: 'sha256', encoding: 'hex' },
      }),
    );
    expect(hmac.headers['X-Sig']).toBe(createHmac('sha256', 'k').update('').digest('hex'));
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const sw = buildOutboundRequest(
      input({
        signing: { type: 'standard-webhooks', secret: `whsec_${secret.toString('base64')}` },
      }),
    );
    const t = Math.floor(now.getTime() / 1000);
    const expected = createHmac('sha256', secret).update(`dlv_01.${t}.`).digest('base64');
    expect(sw.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(sw.headers['content-type'] ?? sw.headers['Content-Type']).toBeUndefined();
  });

  it('refuses GET with a body mode (a configuration error, never sent)', () => {
    expect(() => buildOutboundRequest(input({ bodyMode: 'json' }))).toThrow(
      ProcessingConfigurationError,
    );
  });

  it('sends POST with bodyMode none as an empty body', () => {
    const request = buildOutboundRequest(input({ method: 'POST' }));
    expect(request.body.length).toBe(0);
    expect(request.headers).toEqual({});
  });
});
