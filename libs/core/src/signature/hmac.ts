/**
 * Owns the two primitives every scheme shares: computing an HMAC in the configured digest
 * and encoding, and comparing signatures without leaking timing.
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DigestAlgorithm, SignatureEncoding } from './signature.types';

export interface SignatureAlgorithm {
  digest: DigestAlgorithm;
  encoding: SignatureEncoding;
}

/** HMAC of `message` under `key`, encoded as the scheme sends it (hex is lower-case). */
export function computeSignature(cfg: SignatureAlgorithm, key: Buffer, message: Buffer): string {
  return createHmac(cfg.digest, key).update(message).digest(cfg.encoding);
}

/**
 * Constant-time string equality; never throws. UTF-16 code units are compared (not UTF-8
 * bytes) so that distinct strings never compare equal — UTF-8 maps every lone surrogate to
 * the same replacement bytes. On a length mismatch the left side is compared with itself
 * so the call still costs a comparison, then false is returned.
 */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf16le');
  const right = Buffer.from(b, 'utf16le');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
