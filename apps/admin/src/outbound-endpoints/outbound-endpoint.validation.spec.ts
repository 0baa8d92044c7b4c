import { DEFAULT_RETRY_POLICY, type ValueSource } from '@app/core';
import {
  outboundEndpointProblems,
  type OutboundEndpointConfig,
} from './outbound-endpoint.validation';

const whsec = 'whsec_' + Buffer.from('a signing secret of some length').toString('base64');

function config(overrides: Partial<OutboundEndpointConfig> = {}): OutboundEndpointConfig {
  return {
    method: 'POST',
    bodyMode: 'json',
    targetHost: 'https://crm.example.com/api',
    targetPath: '/orders/{orderId}/events',
    linked: false,
    headerRules: [{ name: 'X-Tenant', value: 'acme-{region}' }],
    payloadRules: [{ path: 'customer.email', source: { kind: 'context', key: 'email' } }],
    replacePayload: false,
    queryRules: [],
    eventTypes: ['order.*', 'invoice.paid'],
    signing: { type: 'standard-webhooks', secret: whsec },
    auth: { type: 'bearer', token: 'tok_123' },
    retryPolicy: { ...DEFAULT_RETRY_POLICY },
    ...overrides,
  };
}

const fields = (c: OutboundEndpointConfig) => outboundEndpointProblems(c).map((p) => p.field);

describe('outboundEndpointProblems', () => {
  it('accepts GET with bodyMode none and query rules', () => {
    expect(
      outboundEndpointProblems(
        config({
          method: 'GET',
          bodyMode: 'none',
          payloadRules: [],
          queryRules: [{ name: 'status', source: { kind: 'payload', path: 'order.status' } }],
        }),
      ),
    ).toEqual([]);
  });

  it('refuses a GET with a body: its body mode, its payload rules, bad query rules', () => {
    expect(fields(config({ method: 'GET', payloadRules: [] }))).toEqual(['bodyMode']);
    expect(fields(config({ method: 'GET', bodyMode: 'none' }))).toEqual(['payloadRules']);
    expect(
      fields(config({ method: 'HEAD', bodyMode: 'none', payloadRules: [], replacePayload: true })),
    ).toEqual(['replacePayload']);
    expect(
      fields(
        config({
          queryRules: [
            { name: ' ', source: { kind: 'payload', path: 'a' } },
            { name: 'q', source: { kind: 'header', name: 'x' } as ValueSource },
          ],
          auth: { type: 'api_key', in: 'query', name: 'key', value: 'v' },
        }),
      ),
    ).toEqual(['queryRules.0.name', 'queryRules.1.source']);
    expect(
      fields(
        config({
          queryRules: [{ name: 'key', source: { kind: 'payload', path: 'a' } }],
          auth: { type: 'api_key', in: 'query', name: 'key', value: 'v' },
        }),
      ),
    ).toEqual(['queryRules.0.name']);
  });

  it('accepts a complete, well-formed endpoint', () => {
    expect(outboundEndpointProblems(config())).toEqual([]);
  });

  it('names the bad template fields with the parser reason', () => {
    const problems = outboundEndpointProblems(
      config({
        targetPath: '/orders/{orderId',
        headerRules: [{ name: 'X-Tenant', value: 'a}b' }],
      }),
    );
    expect(problems.map((p) => p.field)).toEqual(['targetPath', 'headerRules.0.value']);
    expect(problems[0].problems[0]).toMatch(/Unbalanced "\{"/);
  });

  it('refuses header names Node cannot send and headers the sender owns', () => {
    expect(
      fields(
        config({
          headerRules: [
            { name: 'Bad Name', value: 'x' },
            { name: 'Content-Length', value: '3' },
            { name: 'X-Ok', value: 'line\nbreak' },
          ],
        }),
      ),
    ).toEqual(['headerRules.0', 'headerRules.1.name', 'headerRules.2']);
  });

  it('needs an absolute http(s) targetHost unless a connector supplies it', () => {
    expect(fields(config({ targetHost: 'crm.example.com' }))).toEqual(['targetHost']);
    expect(fields(config({ targetHost: 'ftp://crm.example.com' }))).toEqual(['targetHost']);
    expect(fields(config({ targetHost: '' }))).toEqual(['targetHost']);
    expect(fields(config({ targetHost: '', linked: true }))).toEqual([]);
  });

  it('checks payload rule sources, paths and event type patterns', () => {
    expect(
      fields(
        config({
          payloadRules: [
            { path: 'a', source: { kind: 'header', name: 'X' } as ValueSource },
            { path: '__proto__.x', source: { kind: 'literal', value: 1 } },
          ],
          eventTypes: ['order.*', 'bad type'],
        }),
      ),
    ).toEqual(['payloadRules.0.source', 'payloadRules.1.path', 'eventTypes.1']);
  });

  it('refuses a retry policy whose first delay exceeds its cap', () => {
    expect(
      fields(
        config({
          retryPolicy: {
            maxAttempts: 3,
            initialDelaySeconds: 600,
            multiplier: 2,
            maxDelaySeconds: 60,
          },
        }),
      ),
    ).toEqual(['retryPolicy.maxDelaySeconds']);
  });

  it('proves signing secrets decode and hmac names a valid header', () => {
    expect(fields(config({ signing: { type: 'standard-webhooks', secret: '' } }))).toEqual([
      'signing.secret',
    ]);
    expect(
      fields(config({ signing: { type: 'standard-webhooks', secret: 'whsec_not base64!' } })),
    ).toEqual(['signing.secret']);
    expect(
      fields(
        config({
          signing: { type: 'hmac', secret: '%%%', secretEncoding: 'base64', header: 'X Sig' },
        }),
      ),
    ).toEqual(['signing.secret', 'signing.header']);
    expect(
      fields(config({ signing: { type: 'hmac', secret: 's3cret', header: 'X-Sig' } })),
    ).toEqual([]);
    expect(fields(config({ signing: { type: 'none' } }))).toEqual([]);
  });

  it('needs each auth type’s fields and its secret', () => {
    expect(fields(config({ auth: { type: 'basic', username: 'a:b', password: '' } }))).toEqual([
      'auth.username',
      'auth.password',
    ]);
    expect(fields(config({ auth: { type: 'bearer', token: 'a\r\nX-Injected: 1' } }))).toEqual([
      'auth.token',
    ]);
    expect(
      fields(config({ auth: { type: 'api_key', in: 'header', name: 'X Key', value: 'v' } })),
    ).toEqual(['auth.name', 'auth.value']);
    expect(
      fields(config({ auth: { type: 'api_key', in: 'query', name: 'api key', value: 'v' } })),
    ).toEqual([]);
  });
});
