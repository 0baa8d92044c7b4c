import type { PresetName } from '../presets/presets';

/**
 * The signature vocabularies, each a list with the words an operator reads: validation
 * (resolve-inbound-security.ts, the admin API's DTOs) and the console's choices
 * (capabilities/) derive from these, so a new one is added here once.
 */
export const DIGEST_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

/** `whsec` is Standard Webhooks' `whsec_<base64>` form. */
export const SECRET_ENCODINGS = ['utf8', 'base64', 'whsec'] as const;
export type SecretEncoding = (typeof SECRET_ENCODINGS)[number];

/**
 * `plain`: the header holds one signature (after `prefix`).
 * `key-value`: `t=…,v1=…,v1=…` — the signatures are the values of `headerKey`.
 * `versioned-list`: space-separated `v1,<sig>` entries (Standard Webhooks).
 */
export const SIGNATURE_HEADER_FORMATS = {
  plain: { label: 'plain (the signature alone)', fields: [] },
  'key-value': { label: 'key-value (t=…,v1=…)', fields: ['headerKey'] },
  'versioned-list': { label: 'versioned-list (v1,… v1,…)', fields: [] },
} as const satisfies Record<string, { label: string; fields: readonly 'headerKey'[] }>;
export type SignatureHeaderFormat = keyof typeof SIGNATURE_HEADER_FORMATS;
export const SIGNATURE_HEADER_FORMAT_NAMES = Object.keys(
  SIGNATURE_HEADER_FORMATS,
) as SignatureHeaderFormat[];

/** One ordered piece of the signed message. Pieces are concatenated with no separator. */
export type SignedPart =
  | { kind: 'body' }
  | { kind: 'literal'; value: string }
  | { kind: 'header'; name: string }
  | { kind: 'header_param'; name: string; param: string }
  | { kind: 'method' }
  | { kind: 'path' }
  | { kind: 'url' };

/** A signed part's fields besides `kind`. */
export type SignedPartField = 'value' | 'name' | 'param';

/**
 * Every signed part kind, with the fields it takes (in the order an operator fills them).
 * Typed by SignedPart, so a new kind there fails to compile until it is described here.
 */
export const SIGNED_PART_KINDS: {
  readonly [K in SignedPart['kind']]: {
    label: string;
    fields: ReadonlyArray<
      Exclude<keyof Extract<SignedPart, { kind: K }>, 'kind'> & SignedPartField
    >;
  };
} = {
  body: { label: 'Raw body', fields: [] },
  literal: { label: 'Literal text', fields: ['value'] },
  header: { label: 'Header value', fields: ['name'] },
  header_param: { label: 'Header parameter', fields: ['name', 'param'] },
  method: { label: 'HTTP method', fields: [] },
  path: { label: 'Request path', fields: [] },
  url: { label: 'Full URL', fields: [] },
};

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
