import { createHash } from 'node:crypto';
import { PayloadValidationError } from '../errors/errors';
import { computeIdentities, MAX_IDENTITY_LENGTH, type IdentitySource } from './compute-identities';
import type { IdentityConfig } from './identity.types';

const rawBody = Buffer.from(
  '{"id":"evt_1","order":{"id":42,"tags":["a"],"paid":true,"none":null}}',
);
const bodyHash = createHash('sha256').update(rawBody).digest('hex');
const source = (headers: IdentitySource['headers'] = {}): IdentitySource => ({
  headers,
  rawBody,
  payload: JSON.parse(rawBody.toString()),
});
const config = (
  delivery: Required<IdentityConfig>['delivery'],
  replay: Required<IdentityConfig>['replay'] = { policy: 'none' },
): Required<IdentityConfig> => ({ delivery, replay });

describe('computeIdentities — delivery', () => {
  it('raw_body_sha256: hex SHA-256 of the raw body', () => {
    expect(computeIdentities(config({ policy: 'raw_body_sha256' }), source())).toEqual({
      deliveryIdentity: bodyHash,
      replayIdentity: null,
    });
  });

  it('delivery_header: the header value, any case, trimmed', () => {
    const identities = computeIdentities(
      config({ policy: 'delivery_header', header: 'X-GitHub-Delivery' }),
      source({ 'x-github-delivery': ' 72d3162e ' }),
    );
    expect(identities.deliveryIdentity).toBe('72d3162e');
  });

  it('delivery_header: a missing or blank header is a payload error naming it', () => {
    const cfg = config({ policy: 'delivery_header', header: 'X-GitHub-Delivery' });
    expect(() => computeIdentities(cfg, source())).toThrow(PayloadValidationError);
    expect(() => computeIdentities(cfg, source({ 'x-github-delivery': ' ' }))).toThrow(
      'missing delivery header X-GitHub-Delivery',
    );
    expect(() => computeIdentities(config({ policy: 'delivery_header' }), source())).toThrow(
      PayloadValidationError,
    );
  });

  it('idempotency_key: the header (default Idempotency-Key), else the body hash', () => {
    expect(
      computeIdentities(config({ policy: 'idempotency_key' }), source({ 'idempotency-key': 'k1' }))
        .deliveryIdentity,
    ).toBe('k1');
    expect(
      computeIdentities(
        config({ policy: 'idempotency_key', header: 'X-Key' }),
        source({ 'x-key': 'k2' }),
      ).deliveryIdentity,
    ).toBe('k2');
    expect(
      computeIdentities(config({ policy: 'idempotency_key' }), source()).deliveryIdentity,
    ).toBe(bodyHash);
  });

  it('hashes identities longer than the limit with a sha256: prefix', () => {
    const long = 'x'.repeat(MAX_IDENTITY_LENGTH + 1);
    const exact = 'y'.repeat(MAX_IDENTITY_LENGTH);
    const cfg = config({ policy: 'delivery_header', header: 'X-Id' });
    expect(computeIdentities(cfg, source({ 'x-id': exact })).deliveryIdentity).toBe(exact);
    expect(computeIdentities(cfg, source({ 'x-id': long })).deliveryIdentity).toBe(
      `sha256:${createHash('sha256').update(long).digest('hex')}`,
    );
  });
});

describe('computeIdentities — replay', () => {
  const replay = (cfg: Required<IdentityConfig>['replay'], src = source()) =>
    computeIdentities(config({ policy: 'raw_body_sha256' }, cfg), src).replayIdentity;

  it('business_event: the payload value at path, stringified', () => {
    expect(replay({ policy: 'business_event', path: 'id' })).toBe('evt_1');
    expect(replay({ policy: 'business_event', path: 'order.id' })).toBe('42');
    expect(replay({ policy: 'business_event', path: 'order.paid' })).toBe('true');
    expect(replay({ policy: 'business_event', path: 'order.tags' })).toBe('["a"]');
    expect(replay({ policy: 'business_event', path: 'order.tags[0]' })).toBe('a');
  });

  it('business_event: absent, null, empty or unparsed payload gives null, not an error', () => {
    expect(replay({ policy: 'business_event', path: 'order.missing' })).toBeNull();
    expect(replay({ policy: 'business_event', path: 'order.none' })).toBeNull();
    expect(replay({ policy: 'business_event' })).toBeNull();
    expect(
      replay({ policy: 'business_event', path: 'id' }, { ...source(), payload: null }),
    ).toBeNull();
    expect(
      replay({ policy: 'business_event', path: 'id' }, { ...source(), payload: { id: '' } }),
    ).toBeNull();
  });

  it('business_event: long values are hashed too', () => {
    const id = 'e'.repeat(500);
    expect(
      replay({ policy: 'business_event', path: 'id' }, { ...source(), payload: { id } }),
    ).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('idempotency_key: the header value or null', () => {
    expect(replay({ policy: 'idempotency_key' }, source({ 'Idempotency-Key': 'k' }))).toBe('k');
    expect(replay({ policy: 'idempotency_key', header: 'X-K' }, source({ 'x-k': 'k' }))).toBe('k');
    expect(replay({ policy: 'idempotency_key' })).toBeNull();
  });

  it('none: null', () => {
    expect(replay({ policy: 'none' })).toBeNull();
  });

  it('stringifies bigint values from non-JSON payloads', () => {
    expect(
      replay({ policy: 'business_event', path: 'n' }, { ...source(), payload: { n: 10n } }),
    ).toBe('10');
  });
});
