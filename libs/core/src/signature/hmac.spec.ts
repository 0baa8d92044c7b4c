import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { computeSignature, safeEqual } from './hmac';

describe('computeSignature', () => {
  const key = Buffer.from('key');
  const message = Buffer.from('The quick brown fox jumps over the lazy dog');

  it('matches the RFC 4231-style known HMAC-SHA256 vector (Wikipedia example)', () => {
    expect(computeSignature({ digest: 'sha256', encoding: 'hex' }, key, message)).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it.each(['sha1', 'sha256', 'sha512'] as const)('computes %s in hex and base64', (digest) => {
    const expected = createHmac(digest, key).update(message);
    const raw = expected.digest();
    expect(computeSignature({ digest, encoding: 'hex' }, key, message)).toBe(raw.toString('hex'));
    expect(computeSignature({ digest, encoding: 'base64' }, key, message)).toBe(
      raw.toString('base64'),
    );
  });
});

describe('safeEqual', () => {
  it('compares equal and unequal strings, including different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('', 'a')).toBe(false);
  });

  it('tells lone surrogates apart (UTF-8 would map both to U+FFFD)', () => {
    expect(safeEqual('\uD800', '\uDC00')).toBe(false);
  });

  it('property: safeEqual(a, b) === (a === b) for arbitrary strings', () => {
    const anyString = fc.string({ unit: 'binary' });
    fc.assert(fc.property(anyString, anyString, (a, b) => safeEqual(a, b) === (a === b)));
    fc.assert(fc.property(anyString, (a) => safeEqual(a, a)));
    // Near misses: same length, one code unit changed.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), fc.nat(), (a, at) => {
        const i = at % a.length;
        const changed =
          a.slice(0, i) + String.fromCharCode((a.charCodeAt(i) + 1) % 0x10000) + a.slice(i + 1);
        return safeEqual(a, changed) === false;
      }),
    );
  });
});
