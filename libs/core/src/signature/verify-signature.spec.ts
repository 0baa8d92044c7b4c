import { createHmac } from 'node:crypto';
import { ProcessingConfigurationError, SignatureValidationError } from '../errors/errors';
import type { ResolvedSignatureConfig, SignableRequest } from './signature.types';
import { verifySignature } from './verify-signature';

const body = Buffer.from('{"id":"evt_1"}');
const hex = (secret: string, message: Buffer | string) =>
  createHmac('sha256', secret).update(message).digest('hex');

const config = (overrides: Partial<ResolvedSignatureConfig> = {}): ResolvedSignatureConfig => ({
  mode: 'hmac',
  digest: 'sha256',
  encoding: 'hex',
  secrets: ['s3cret'],
  secretEncoding: 'utf8',
  header: 'X-Signature',
  prefix: 'sha256=',
  headerFormat: 'plain',
  headerKey: '',
  version: 'v1',
  parts: [{ kind: 'body' }],
  ...overrides,
});

const request = (headers: SignableRequest['headers'], rawBody = body): SignableRequest => ({
  method: 'POST',
  url: '/webhooks/x',
  path: '/webhooks/x',
  headers,
  rawBody,
});

function reasonOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureValidationError) return error.reason;
    throw error;
  }
  throw new Error('expected a SignatureValidationError');
}

describe('verifySignature', () => {
  it('accepts a matching signature', () => {
    expect(() =>
      verifySignature(config(), request({ 'x-signature': `sha256=${hex('s3cret', body)}` })),
    ).not.toThrow();
  });

  it('accepts upper-case hex', () => {
    const signature = hex('s3cret', body).toUpperCase();
    expect(() =>
      verifySignature(config(), request({ 'x-signature': `sha256=${signature}` })),
    ).not.toThrow();
  });

  it('accepts a match under the secondary secret (rotation)', () => {
    const headers = { 'x-signature': `sha256=${hex('new', body)}` };
    expect(() =>
      verifySignature(config({ secrets: ['old', 'new'] }), request(headers)),
    ).not.toThrow();
  });

  it('accepts when any of several signatures matches', () => {
    const headers = { 'x-signature': ['sha256=00', `sha256=${hex('s3cret', body)}`] };
    expect(() => verifySignature(config(), request(headers))).not.toThrow();
  });

  it('rejects with "no secret configured" when there is no usable secret', () => {
    const headers = { 'x-signature': `sha256=${hex('s3cret', body)}` };
    expect(reasonOf(() => verifySignature(config({ secrets: [] }), request(headers)))).toMatch(
      /^no secret configured/,
    );
    expect(reasonOf(() => verifySignature(config({ secrets: [''] }), request(headers)))).toMatch(
      /^no secret configured/,
    );
  });

  it('rejects a missing or blank header, naming it', () => {
    expect(reasonOf(() => verifySignature(config(), request({})))).toBe(
      'missing signature header X-Signature',
    );
    expect(reasonOf(() => verifySignature(config(), request({ 'x-signature': '  ' })))).toBe(
      'missing signature header X-Signature',
    );
  });

  it('rejects a malformed header with the expected shape', () => {
    expect(reasonOf(() => verifySignature(config(), request({ 'x-signature': 'abc' })))).toBe(
      'malformed signature header X-Signature: expected "sha256=<signature>"',
    );
    expect(
      reasonOf(() => verifySignature(config({ prefix: '' }), request({ 'x-signature': ',' }))),
    ).toBe('malformed signature header X-Signature: expected "<signature>"');
    expect(
      reasonOf(() =>
        verifySignature(
          config({ headerFormat: 'key-value', headerKey: 'v1', prefix: '' }),
          request({ 'x-signature': 't=1' }),
        ),
      ),
    ).toBe('malformed signature header X-Signature: expected "t=<timestamp>,v1=<signature>"');
    expect(
      reasonOf(() =>
        verifySignature(
          config({ headerFormat: 'versioned-list', prefix: '' }),
          request({ 'x-signature': 'v2,abc' }),
        ),
      ),
    ).toBe(
      'malformed signature header X-Signature: expected space-separated "v1,<signature>" entries',
    );
  });

  it('rejects a non-matching signature', () => {
    const headers = { 'x-signature': `sha256=${hex('other', body)}` };
    expect(reasonOf(() => verifySignature(config(), request(headers)))).toMatch(
      /^no signature matched: 1 signature\(s\) in X-Signature checked against 1 secret\(s\)/,
    );
  });

  it('rejects an altered body', () => {
    const headers = { 'x-signature': `sha256=${hex('s3cret', body)}` };
    const altered = Buffer.from(body);
    altered[3] ^= 1;
    expect(reasonOf(() => verifySignature(config(), request(headers, altered)))).toMatch(
      /^no signature matched/,
    );
  });

  it('rejects when a signed header part is missing', () => {
    const cfg = config({ parts: [{ kind: 'header', name: 'X-Ts' }, { kind: 'body' }] });
    const headers = { 'x-signature': `sha256=${hex('s3cret', body)}` };
    expect(reasonOf(() => verifySignature(cfg, request(headers)))).toMatch(/missing header X-Ts/);
  });

  it('surfaces an undecodable secret as configuration', () => {
    const cfg = config({ secretEncoding: 'base64', secrets: ['***'] });
    const headers = { 'x-signature': 'sha256=00' };
    expect(() => verifySignature(cfg, request(headers))).toThrow(ProcessingConfigurationError);
  });
});
