/**
 * Owns the provider presets (SPEC §4, contract names) as plain data: the signature scheme,
 * timestamp window and identity policies each provider's webhooks need. Each preset is
 * proven against the provider's SDK in presets.spec.ts; change one only with its test.
 */
import type { TimestampConfig } from '../freshness/freshness.types';
import type { IdentityConfig } from '../identity/identity.types';
import type { HandshakeName } from './handshakes';
import type { ResolvedSignatureConfig } from '../signature/signature.types';

/** A preset's signature scheme: everything but the endpoint's own secrets. */
export type PresetSignature = Omit<ResolvedSignatureConfig, 'mode' | 'secrets'>;

export interface PresetDefinition {
  /** The provider as an operator knows it (the console's choice). */
  label: string;
  /** Handshakes the provider sends before its events (the endpoint still enables them). */
  handshakes: readonly HandshakeName[];
  signature: PresetSignature;
  timestamp: TimestampConfig;
  identity: Required<IdentityConfig>;
}

const FIVE_MINUTES = 300;
const NO_TIMESTAMP: TimestampConfig = { enabled: false };

/**
 * The registry: a preset added here is a new `PresetName`, accepted by the admin API (its
 * DTO lists PRESET_NAMES) and resolved by the gateway, with nothing else to change.
 */
const PRESET_DEFINITIONS = {
  // HMAC-SHA256 of the body, `sha256=<hex>`; GitHub signs no timestamp, but every delivery
  // has a unique X-GitHub-Delivery (kept on redelivery).
  github: {
    label: 'GitHub',
    handshakes: [],
    signature: {
      digest: 'sha256',
      encoding: 'hex',
      secretEncoding: 'utf8',
      header: 'X-Hub-Signature-256',
      prefix: 'sha256=',
      headerFormat: 'plain',
      headerKey: '',
      version: 'v1',
      parts: [{ kind: 'body' }],
    },
    timestamp: NO_TIMESTAMP,
    identity: {
      delivery: { policy: 'delivery_header', header: 'X-GitHub-Delivery' },
      replay: { policy: 'none' },
    },
  },
  // `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>]` over `<t>.<body>`. The `whsec_…` secret is
  // used verbatim as the key (not base64-decoded). Stripe has no delivery id header, so
  // retries are recognised by body hash and re-sent events by the event `id`.
  stripe: {
    label: 'Stripe',
    handshakes: [],
    signature: {
      digest: 'sha256',
      encoding: 'hex',
      secretEncoding: 'utf8',
      header: 'Stripe-Signature',
      prefix: '',
      headerFormat: 'key-value',
      headerKey: 'v1',
      version: 'v1',
      parts: [
        { kind: 'header_param', name: 'Stripe-Signature', param: 't' },
        { kind: 'literal', value: '.' },
        { kind: 'body' },
      ],
    },
    timestamp: {
      enabled: true,
      headerParam: { name: 'Stripe-Signature', param: 't' },
      format: 'unix_seconds',
      maxAgeSeconds: FIVE_MINUTES,
      maxFutureSkewSeconds: FIVE_MINUTES,
    },
    identity: {
      delivery: { policy: 'raw_body_sha256' },
      replay: { policy: 'business_event', path: 'id' },
    },
  },
  // Base64 HMAC-SHA256 of the body; no signed timestamp.
  shopify: {
    label: 'Shopify',
    handshakes: [],
    signature: {
      digest: 'sha256',
      encoding: 'base64',
      secretEncoding: 'utf8',
      header: 'X-Shopify-Hmac-Sha256',
      prefix: '',
      headerFormat: 'plain',
      headerKey: '',
      version: 'v1',
      parts: [{ kind: 'body' }],
    },
    timestamp: NO_TIMESTAMP,
    identity: {
      delivery: { policy: 'delivery_header', header: 'X-Shopify-Webhook-Id' },
      replay: { policy: 'none' },
    },
  },
  // `v0=<hex>` over `v0:<X-Slack-Request-Timestamp>:<body>`. Slack retries re-send the same
  // body, so the body hash recognises them.
  slack: {
    label: 'Slack',
    handshakes: ['slack'],
    signature: {
      digest: 'sha256',
      encoding: 'hex',
      secretEncoding: 'utf8',
      header: 'X-Slack-Signature',
      prefix: 'v0=',
      headerFormat: 'plain',
      headerKey: '',
      version: 'v1',
      parts: [
        { kind: 'literal', value: 'v0:' },
        { kind: 'header', name: 'X-Slack-Request-Timestamp' },
        { kind: 'literal', value: ':' },
        { kind: 'body' },
      ],
    },
    timestamp: {
      enabled: true,
      header: 'X-Slack-Request-Timestamp',
      format: 'unix_seconds',
      maxAgeSeconds: FIVE_MINUTES,
      maxFutureSkewSeconds: FIVE_MINUTES,
    },
    identity: {
      delivery: { policy: 'raw_body_sha256' },
      replay: { policy: 'none' },
    },
  },
  // Standard Webhooks (and Svix's unbranded headers): `v1,<base64>` entries over
  // `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the base64 part of `whsec_…`.
  'standard-webhooks': {
    label: 'Standard Webhooks / Svix',
    handshakes: [],
    signature: {
      digest: 'sha256',
      encoding: 'base64',
      secretEncoding: 'whsec',
      header: 'webhook-signature',
      prefix: '',
      headerFormat: 'versioned-list',
      headerKey: '',
      version: 'v1',
      parts: [
        { kind: 'header', name: 'webhook-id' },
        { kind: 'literal', value: '.' },
        { kind: 'header', name: 'webhook-timestamp' },
        { kind: 'literal', value: '.' },
        { kind: 'body' },
      ],
    },
    timestamp: {
      enabled: true,
      header: 'webhook-timestamp',
      format: 'unix_seconds',
      maxAgeSeconds: FIVE_MINUTES,
      maxFutureSkewSeconds: FIVE_MINUTES,
    },
    identity: {
      delivery: { policy: 'delivery_header', header: 'webhook-id' },
      replay: { policy: 'none' },
    },
  },
} satisfies Record<string, PresetDefinition>;

export type PresetName = keyof typeof PRESET_DEFINITIONS;

export const PRESETS: Readonly<Record<PresetName, PresetDefinition>> =
  deepFreeze(PRESET_DEFINITIONS);

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(value: unknown): value is PresetName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PRESETS, value);
}

/** Presets are shared by every endpoint; freezing stops one caller's edit leaking to all. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
