import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption of stored secrets (endpoint signing secrets, connector credentials, auth
 * tokens): AES-256-GCM with a random 96-bit IV per value. An envelope names its key, so
 * keys can rotate: new values use the active key, old ones stay readable while their key
 * is still listed, and `reencrypt` moves a value to the active key.
 *
 * Envelope: `v1:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`. The `v1:<keyId>` prefix is
 * authenticated (GCM additional data), so an envelope cannot be relabelled to another key.
 */
export interface SecretKey {
  /** Short label stored in every envelope; letters, digits, `_` and `-`. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface SecretBoxOptions {
  keys: SecretKey[];
  activeKeyId: string;
}

/** A secret could not be decrypted or the box is misconfigured. Never includes plaintext. */
export class SecretBoxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** `v1:<key id>:<iv>:<tag>:<ciphertext>`, base64 parts (`v1` is VERSION). */
const ENVELOPE =
  /^v1:([A-Za-z0-9_-]{1,64}):([A-Za-z0-9+/]*={0,2}):([A-Za-z0-9+/]*={0,2}):([A-Za-z0-9+/]*={0,2})$/;

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  constructor(options: SecretBoxOptions) {
    for (const { id, key } of options.keys) {
      if (!KEY_ID.test(id)) {
        throw new SecretBoxError(`secret key id "${id}" must be 1-64 letters, digits, _ or -`);
      }
      if (key.length !== 32) {
        throw new SecretBoxError(`secret key "${id}" must be 32 bytes, got ${key.length}`);
      }
      if (this.keys.has(id)) throw new SecretBoxError(`secret key id "${id}" is listed twice`);
      this.keys.set(id, Buffer.from(key));
    }
    if (!this.keys.has(options.activeKeyId)) {
      throw new SecretBoxError(
        `the active secret key "${options.activeKeyId}" is not among the keys`,
      );
    }
    this.activeKeyId = options.activeKeyId;
  }

  encrypt(plaintext: string): string {
    const key = this.keys.get(this.activeKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(this.activeKeyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.activeKeyId,
      iv.toString('base64'),
      tag.toString('base64'),
      ciphertext.toString('base64'),
    ].join(':');
  }

  decrypt(envelope: string): string {
    const parsed = parse(envelope);
    const key = this.keys.get(parsed.keyId);
    if (!key) {
      throw new SecretBoxError(
        `secret was encrypted with key "${parsed.keyId}", which is not configured ` +
          `(add it to the previous keys to read it, then re-encrypt)`,
      );
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, parsed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(parsed.keyId));
      decipher.setAuthTag(parsed.tag);
      return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretBoxError(
        `secret could not be decrypted with key "${parsed.keyId}": wrong key material or ` +
          `the stored value was altered`,
        { cause: error },
      );
    }
  }

  /** True when `value` has the shape of an envelope (it may still fail to decrypt). */
  isEnvelope(value: unknown): value is string {
    return typeof value === 'string' && parseOrNull(value) !== null;
  }

  /** The key id an envelope names. */
  keyIdOf(envelope: string): string {
    return parse(envelope).keyId;
  }

  /**
   * The same secret under the active key. An envelope already under the active key is
   * answered unchanged, so rotation jobs can compare to count what they rewrote.
   */
  reencrypt(envelope: string): string {
    const plaintext = this.decrypt(envelope);
    if (parse(envelope).keyId === this.activeKeyId) return envelope;
    return this.encrypt(plaintext);
  }
}

interface ParsedEnvelope {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function additionalData(keyId: string): Buffer {
  return Buffer.from(`${VERSION}:${keyId}`, 'utf8');
}

function parseOrNull(envelope: string): ParsedEnvelope | null {
  const match = ENVELOPE.exec(envelope);
  if (!match) return null;
  const iv = Buffer.from(match[2], 'base64');
  const tag = Buffer.from(match[3], 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
  return { keyId: match[1], iv, tag, ciphertext: Buffer.from(match[4], 'base64') };
}

function parse(envelope: string): ParsedEnvelope {
  const parsed = typeof envelope === 'string' ? parseOrNull(envelope) : null;
  if (!parsed) {
    throw new SecretBoxError(
      `stored secret is not a ${VERSION} envelope (expected ${VERSION}:<keyId>:<iv>:<tag>:<ciphertext>)`,
    );
  }
  return parsed;
}
