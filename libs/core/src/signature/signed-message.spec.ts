import { SignatureValidationError } from '../errors/errors';
import { buildSignedMessage } from './signed-message';
import type { SignableRequest } from './signature.types';

const request = (overrides: Partial<SignableRequest> = {}): SignableRequest => ({
  method: 'POST',
  url: '/webhooks/acme?x=1',
  path: '/webhooks/acme',
  headers: { 'x-ts': '1700000000', 'stripe-signature': 't=42,v1=abc' },
  rawBody: Buffer.from([0x7b, 0xff, 0x00, 0x7d]),
  ...overrides,
});

describe('buildSignedMessage', () => {
  it('concatenates every part kind in order, the body as raw bytes', () => {
    const message = buildSignedMessage(
      [
        { kind: 'method' },
        { kind: 'literal', value: ' ' },
        { kind: 'url' },
        { kind: 'literal', value: '|' },
        { kind: 'path' },
        { kind: 'literal', value: '|' },
        { kind: 'header', name: 'X-TS' },
        { kind: 'literal', value: '|' },
        { kind: 'header_param', name: 'Stripe-Signature', param: 't' },
        { kind: 'literal', value: '|' },
        { kind: 'body' },
      ],
      request(),
    );
    expect(message).toEqual(
      Buffer.concat([
        Buffer.from('POST /webhooks/acme?x=1|/webhooks/acme|1700000000|42|'),
        Buffer.from([0x7b, 0xff, 0x00, 0x7d]),
      ]),
    );
  });

  it('gives an empty message for no parts', () => {
    expect(buildSignedMessage([], request()).length).toBe(0);
  });

  it('names a missing header part', () => {
    const build = () => buildSignedMessage([{ kind: 'header', name: 'webhook-id' }], request());
    expect(build).toThrow(SignatureValidationError);
    expect(build).toThrow('missing header webhook-id, which is part of the signed message');
  });

  it('names a missing header parameter part, whether the header or the parameter is absent', () => {
    const part = { kind: 'header_param', name: 'Stripe-Signature', param: 'x' } as const;
    expect(() => buildSignedMessage([part], request())).toThrow(
      'missing parameter x in header Stripe-Signature',
    );
    expect(() => buildSignedMessage([part], request({ headers: {} }))).toThrow(
      SignatureValidationError,
    );
  });
});
