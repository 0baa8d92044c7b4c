import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from './secret-box';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('SecretBox', () => {
  const box = new SecretBox({ keys: [k1], activeKeyId: 'k1' });

  it('round-trips text, including empty and non-ASCII strings', () => {
    for (const plaintext of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '', 'päss 🔑\n']) {
      expect(box.decrypt(box.encrypt(plaintext))).toBe(plaintext);
    }
  });

  it('writes a v1 envelope naming the key, with a fresh IV each time', () => {
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    expect(a).toMatch(/^v1:k1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same');
    expect(box.keyIdOf(a)).toBe('k1');
  });

  it('recognises envelopes', () => {
    expect(box.isEnvelope(box.encrypt('x'))).toBe(true);
    expect(box.isEnvelope('plain secret')).toBe(false);
    expect(box.isEnvelope('v1:k1:abc')).toBe(false);
    expect(box.isEnvelope('v1:k1:AAAA:AAAA:AAAA')).toBe(false); // wrong IV/tag lengths
    expect(box.isEnvelope(undefined)).toBe(false);
    expect(box.isEnvelope(42)).toBe(false);
  });

  it('refuses a value that is not an envelope', () => {
    expect(() => box.decrypt('plain secret')).toThrow(SecretBoxError);
    expect(() => box.decrypt('plain secret')).toThrow(/not a v1 envelope/);
  });

  it('detects tampering with the ciphertext, tag or IV', () => {
    const [v, id, iv, tag, ct] = box.encrypt('secret value').split(':');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] ^= 1;
      return bytes.toString('base64');
    };
    for (const forged of [
      [v, id, iv, tag, flip(ct)],
      [v, id, iv, flip(tag), ct],
      [v, id, flip(iv), tag, ct],
    ]) {
      expect(() => box.decrypt(forged.join(':'))).toThrow(
        /wrong key material or the stored value was altered/,
      );
    }
  });

  it('fails clearly with the wrong key material under the same id', () => {
    const impostor = new SecretBox({
      keys: [{ id: 'k1', key: randomBytes(32) }],
      activeKeyId: 'k1',
    });
    expect(() => impostor.decrypt(box.encrypt('x'))).toThrow(SecretBoxError);
  });

  it('fails clearly when the key id is unknown', () => {
    const other = new SecretBox({ keys: [k2], activeKeyId: 'k2' });
    expect(() => other.decrypt(box.encrypt('x'))).toThrow(/key "k1", which is not configured/);
  });

  it('binds the key id: relabelling an envelope to another key fails', () => {
    const both = new SecretBox({ keys: [k1, { id: 'k3', key: k1.key }], activeKeyId: 'k1' });
    const relabelled = both.encrypt('x').replace(/^v1:k1:/, 'v1:k3:');
    expect(() => both.decrypt(relabelled)).toThrow(SecretBoxError);
  });

  it('rotates: old envelopes stay readable and reencrypt moves them to the active key', () => {
    const old = box.encrypt('rotate me');
    const rotated = new SecretBox({ keys: [k2, k1], activeKeyId: 'k2' });
    expect(rotated.decrypt(old)).toBe('rotate me');
    const moved = rotated.reencrypt(old);
    expect(rotated.keyIdOf(moved)).toBe('k2');
    expect(rotated.decrypt(moved)).toBe('rotate me');
    expect(rotated.reencrypt(moved)).toBe(moved);
    expect(() => box.decrypt(moved)).toThrow(SecretBoxError);
  });

  it('rejects bad configuration', () => {
    expect(
      () => new SecretBox({ keys: [{ id: 'k1', key: randomBytes(16) }], activeKeyId: 'k1' }),
    ).toThrow(/32 bytes/);
    expect(() => new SecretBox({ keys: [k1], activeKeyId: 'k9' })).toThrow(/not among the keys/);
    expect(
      () => new SecretBox({ keys: [{ id: 'a:b', key: randomBytes(32) }], activeKeyId: 'a:b' }),
    ).toThrow(/key id/);
    expect(() => new SecretBox({ keys: [k1, k1], activeKeyId: 'k1' })).toThrow(/twice/);
  });

  it('does not keep a reference to the caller key buffer', () => {
    const key = randomBytes(32);
    const own = new SecretBox({ keys: [{ id: 'x', key }], activeKeyId: 'x' });
    const envelope = own.encrypt('x');
    key.fill(0);
    expect(own.decrypt(envelope)).toBe('x');
  });
});
