import type { PresetName } from '../presets/presets';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type SignatureEncoding = 'hex' | 'base64';
/** `whsec` is Standard Webhooks' `whsec_<base64>` form. */
export type SecretEncoding = 'utf8' | 'base64' | 'whsec';
/**
 * `plain`: the header holds one signature (after `prefix`).
 * `key-value`: `t=…,v1=…,v1=…` — the signatures are the values of `headerKey`.
 * `versioned-list`: space-separated `v1,<sig>` entries (Standard Webhooks).
 */
export type SignatureHeaderFormat = 'plain' | 'key-value' | 'versioned-list';

/** One ordered piece of the signed message. Pieces are concatenated with no separator. */
export type SignedPart =
  | { kind: 'body' }
  | { kind: 'literal'; value: string }
  | { kind: 'header'; name: string }
  | { kind: 'header_param'; name: string; param: string }
  | { kind: 'method' }
  | { kind: 'path' }
  | { kind: 'url' };

/** The provider presets' names: the keys of core's preset registry (presets/presets.ts). */
export type { PresetName };

/** Inbound endpoint signature settings as configured (a preset plus explicit overrides). */
export interface SignatureConfig {
  mode: 'none' | 'hmac';
  preset?: PresetName;
  digest?: DigestAlgorithm;
  encoding?: SignatureEncoding;
  secret?: string;
  secondarySecret?: string;
  secretEncoding?: SecretEncoding;
  header?: string;
  prefix?: string;
  headerFormat?: SignatureHeaderFormat;
  headerKey?: string;
  /** For `versioned-list`: the version tag to accept, default `v1`. */
  version?: string;
  parts?: SignedPart[];
}

/** A signature config with every field needed for verification filled in. */
export interface ResolvedSignatureConfig {
  mode: 'hmac';
  digest: DigestAlgorithm;
  encoding: SignatureEncoding;
  secrets: string[];
  secretEncoding: SecretEncoding;
  header: string;
  prefix: string;
  headerFormat: SignatureHeaderFormat;
  headerKey: string;
  version: string;
  parts: SignedPart[];
}

/** What the signature layer reads of a request. */
export interface SignableRequest {
  method: string;
  /** Path with query string, as received (`/webhooks/x?y=1`). */
  url: string;
  /** Path without query string. */
  path: string;
  headers: import('../extraction/value-source.types').HeaderBag;
  rawBody: Buffer;
}

/**
 * The secret a rotation replaced, still signed with until `previousSecretExpiresAt` (ISO
 * 8601) so receivers that hold only the old secret keep verifying during the window.
 */
export interface OutboundSigningRotation {
  previousSecret?: string;
  previousSecretExpiresAt?: string;
}

/** Outbound signing settings of an outbound endpoint. */
export type OutboundSigningConfig =
  | { type: 'none' }
  | ({ type: 'standard-webhooks'; secret: string } & OutboundSigningRotation)
  | ({
      type: 'hmac';
      secret: string;
      secretEncoding?: SecretEncoding;
      header: string;
      digest?: DigestAlgorithm;
      encoding?: SignatureEncoding;
      prefix?: string;
      /** Include `t=<unix>,v1=<sig>` and sign `<t>.<body>` (Stripe style) instead of the body alone. */
      timestamped?: boolean;
    } & OutboundSigningRotation);
