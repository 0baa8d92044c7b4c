import { createHash } from 'node:crypto';
import { buildOutboundRequest, type Outcome } from '@app/core';
import { buildHandlerRegistry } from './index';
import { contentDigestCallback } from './content-digest.callback';

const whsec = `whsec_${Buffer.from('content-digest-callback-key').toString('base64')}`;

function builtRequest(payload: unknown) {
  return buildOutboundRequest({
    spec: {
      method: 'POST',
      bodyMode: 'json',
      targetHost: 'http://127.0.0.1:9',
      targetPath: '/hooks',
      headerRules: [{ name: 'X-Region', value: 'eu' }],
      payloadRules: [],
      replacePayload: false,
      signing: { type: 'standard-webhooks', secret: whsec },
      auth: { type: 'none' },
    },
    payload,
    context: {},
    delivery: { id: 'dlv_1', createdAt: new Date(0) },
    now: new Date(1_700_000_000_000),
  });
}

const delivery = {
  id: 'dlv_1',
  endpointCode: 'billing',
  eventType: null,
  payload: {},
  context: {},
  attempts: 1,
  idempotencyKey: null,
  createdAt: new Date(0),
};

describe('content-digest outbound callback', () => {
  it('is registered for outbound in every app registry', () => {
    const registry = buildHandlerRegistry();
    expect(registry.names('outbound')).toContain('content-digest');
    expect(registry.getOutbound('content-digest')).toBe(contentDigestCallback);
  });

  it('adds the RFC 9530 SHA-256 digest of the body and changes nothing else', async () => {
    const request = builtRequest({ orderId: 'A-1', total: 4200 });
    const lines: string[] = [];
    const outcome = (await contentDigestCallback({
      delivery,
      request,
      log: (line) => lines.push(line),
    })) as Extract<Outcome, { type: 'send' }>;
    expect(outcome.type).toBe('send');
    const sent = outcome.request!;
    const expected = createHash('sha256').update('{"orderId":"A-1","total":4200}').digest('base64');
    expect(sent.headers['Content-Digest']).toBe(`sha-256=:${expected}:`);
    const { 'Content-Digest': _added, ...rest } = sent.headers;
    expect(rest).toEqual(request.headers);
    expect(sent.body.equals(request.body)).toBe(true);
    expect(sent.url).toBe(request.url);
    expect(lines).toEqual([`content digest over ${request.body.length} bytes`]);
  });
});
