/**
 * Owns turning an inbound endpoint's security settings (a preset plus explicit overrides)
 * into the complete configs verification, freshness and identity run on. Explicit fields
 * win over preset fields; configuration that cannot run is refused here with the field
 * named, so the admin API can reject it at save and the gateway never half-verifies.
 */
import { ProcessingConfigurationError } from '../errors/errors';
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_FUTURE_SKEW_SECONDS,
  DEFAULT_TIMESTAMP_FORMAT,
} from '../freshness/check-freshness';
import { TIMESTAMP_FORMATS, type TimestampConfig } from '../freshness/freshness.types';
import {
  DELIVERY_IDENTITY_POLICIES,
  REPLAY_IDENTITY_POLICIES,
  type DeliveryIdentityPolicy,
  type IdentityConfig,
  type ReplayIdentityPolicy,
} from '../identity/identity.types';
import { DEFAULT_IDEMPOTENCY_HEADER } from '../identity/compute-identities';
import { decodeSecret } from '../signature/secret';
import {
  DIGEST_ALGORITHMS,
  SECRET_ENCODINGS,
  SIGNATURE_ENCODINGS,
  SIGNATURE_HEADER_FORMAT_NAMES,
  SIGNED_PART_KINDS,
  type ResolvedSignatureConfig,
  type SignatureConfig,
  type SignedPart,
} from '../signature/signature.types';
import { isPresetName, PRESET_NAMES, PRESETS, type PresetDefinition } from './presets';

export interface InboundSecurityInput {
  signature: SignatureConfig;
  timestamp?: TimestampConfig;
  identity?: IdentityConfig;
}

export interface ResolvedInboundSecurity {
  /** null when `mode` is `none`. */
  signature: ResolvedSignatureConfig | null;
  /** null when no timestamp check applies. Defaults are filled in. */
  timestamp: TimestampConfig | null;
  identity: Required<IdentityConfig>;
}

export interface ResolveOptions {
  /**
   * Refuse an hmac config with no secret. Off by default so that, at receipt, a missing
   * secret rejects the request as `signature_invalid` ("no secret configured") with the
   * event stored for the operator; the admin API sets it to refuse such a config at save.
   */
  requireSecret?: boolean;
}

/** What a custom (preset-less) scheme gets for the settings it leaves out. */
export const SIGNATURE_DEFAULTS = {
  secretEncoding: 'utf8',
  headerFormat: 'plain',
  version: 'v1',
  parts: [{ kind: 'body' }],
} as const satisfies Partial<ResolvedSignatureConfig>;

const DELIVERY_POLICIES = Object.keys(DELIVERY_IDENTITY_POLICIES) as DeliveryIdentityPolicy[];
const REPLAY_POLICIES = Object.keys(REPLAY_IDENTITY_POLICIES) as ReplayIdentityPolicy[];
const PART_KINDS = Object.keys(SIGNED_PART_KINDS);

/**
 * Resolves the three settings. A preset applies to timestamp and identity even when
 * `mode` is `none` (verification off does not change how deliveries are identified).
 * With no preset and nothing configured: no timestamp check, delivery identity
 * `raw_body_sha256`, replay `none`. Throws ProcessingConfigurationError naming the field.
 */
export function resolveInboundSecurity(
  input: InboundSecurityInput,
  options: ResolveOptions = {},
): ResolvedInboundSecurity {
  const preset = lookUpPreset(input.signature.preset);
  return {
    signature: resolveSignature(input.signature, preset, options),
    timestamp: resolveTimestamp(input.timestamp, preset),
    identity: resolveIdentity(input.identity, preset),
  };
}

function lookUpPreset(name: unknown): PresetDefinition | undefined {
  if (name === undefined || name === null || name === '') return undefined;
  if (!isPresetName(name)) {
    throw configError(
      'signature.preset',
      `unknown preset ${JSON.stringify(name)}; expected one of ${PRESET_NAMES.join(', ')}`,
    );
  }
  return PRESETS[name];
}

function resolveSignature(
  explicit: SignatureConfig,
  preset: PresetDefinition | undefined,
  options: ResolveOptions,
): ResolvedSignatureConfig | null {
  if (explicit.mode === 'none') return null;
  if (explicit.mode !== 'hmac') {
    throw configError(
      'signature.mode',
      `must be "none" or "hmac", got ${JSON.stringify(explicit.mode)}`,
    );
  }
  const base = preset?.signature;

  const digest = oneOf('signature.digest', explicit.digest ?? base?.digest, DIGEST_ALGORITHMS);
  const encoding = oneOf(
    'signature.encoding',
    explicit.encoding ?? base?.encoding,
    SIGNATURE_ENCODINGS,
  );
  const header = explicit.header || base?.header;
  if (!header) throw missing('signature.header');
  const secretEncoding = oneOf(
    'signature.secretEncoding',
    explicit.secretEncoding ?? base?.secretEncoding ?? SIGNATURE_DEFAULTS.secretEncoding,
    SECRET_ENCODINGS,
  );
  const headerFormat = oneOf(
    'signature.headerFormat',
    explicit.headerFormat ?? base?.headerFormat ?? SIGNATURE_DEFAULTS.headerFormat,
    SIGNATURE_HEADER_FORMAT_NAMES,
  );
  const headerKey = explicit.headerKey || base?.headerKey || '';
  if (headerFormat === 'key-value' && !headerKey) throw missing('signature.headerKey');
  const version = explicit.version || base?.version || SIGNATURE_DEFAULTS.version;
  const parts: readonly SignedPart[] = explicit.parts ?? base?.parts ?? SIGNATURE_DEFAULTS.parts;
  if (parts.length === 0) throw configError('signature.parts', 'must list at least one part');
  parts.forEach((part, index) => checkPart(part, index));

  const secrets: string[] = [];
  for (const [field, secret] of [
    ['signature.secret', explicit.secret],
    ['signature.secondarySecret', explicit.secondarySecret],
  ] as const) {
    if (!secret) continue;
    try {
      decodeSecret(secret, secretEncoding);
    } catch (error) {
      throw configError(field, error instanceof Error ? error.message : String(error));
    }
    secrets.push(secret);
  }
  if (options.requireSecret && secrets.length === 0) throw missing('signature.secret');

  return {
    mode: 'hmac',
    digest,
    encoding,
    secrets,
    secretEncoding,
    header,
    prefix: explicit.prefix ?? base?.prefix ?? '',
    headerFormat,
    headerKey,
    version,
    // Copied so a caller editing the result cannot reach the shared preset.
    parts: parts.map((part) => ({ ...part })),
  };
}

function checkPart(part: SignedPart, index: number): void {
  const field = `signature.parts[${index}]`;
  const candidate = part as Partial<Record<string, unknown>> | null;
  switch (candidate?.kind) {
    case 'body':
    case 'method':
    case 'path':
    case 'url':
      return;
    case 'literal':
      if (typeof candidate.value !== 'string') throw missing(`${field}.value`);
      return;
    case 'header':
      if (typeof candidate.name !== 'string' || !candidate.name) throw missing(`${field}.name`);
      return;
    case 'header_param':
      if (typeof candidate.name !== 'string' || !candidate.name) throw missing(`${field}.name`);
      if (typeof candidate.param !== 'string' || !candidate.param) throw missing(`${field}.param`);
      return;
    default:
      throw configError(
        `${field}.kind`,
        `must be one of ${PART_KINDS.join(', ')}; got ${JSON.stringify(candidate?.kind)}`,
      );
  }
}

function resolveTimestamp(
  explicit: TimestampConfig | undefined,
  preset: PresetDefinition | undefined,
): TimestampConfig | null {
  const base = preset?.timestamp;
  if (!explicit && !base) return null;
  const overrides: Partial<TimestampConfig> = explicit ? withoutUndefined(explicit) : {};
  const merged: Partial<TimestampConfig> = { ...base, ...overrides };
  // The source is one setting: naming a header replaces the preset's header parameter.
  if (overrides.header && !overrides.headerParam) delete merged.headerParam;
  if (overrides.headerParam && !overrides.header) delete merged.header;
  if (!merged.enabled) return null;

  if (!merged.header && !merged.headerParam) throw missing('timestamp.header');
  if (merged.headerParam && (!merged.headerParam.name || !merged.headerParam.param)) {
    throw missing(
      merged.headerParam.name ? 'timestamp.headerParam.param' : 'timestamp.headerParam.name',
    );
  }
  const resolved: TimestampConfig = {
    enabled: true,
    format: oneOf('timestamp.format', merged.format ?? DEFAULT_TIMESTAMP_FORMAT, TIMESTAMP_FORMATS),
    maxAgeSeconds: seconds(
      'timestamp.maxAgeSeconds',
      merged.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS,
    ),
    maxFutureSkewSeconds: seconds(
      'timestamp.maxFutureSkewSeconds',
      merged.maxFutureSkewSeconds ?? DEFAULT_MAX_FUTURE_SKEW_SECONDS,
    ),
  };
  if (merged.header) resolved.header = merged.header;
  if (merged.headerParam) resolved.headerParam = { ...merged.headerParam };
  return resolved;
}

function resolveIdentity(
  explicit: IdentityConfig | undefined,
  preset: PresetDefinition | undefined,
): Required<IdentityConfig> {
  const base = preset?.identity;
  const delivery = mergePolicy(explicit?.delivery, base?.delivery) ?? { policy: 'raw_body_sha256' };
  const replay = mergePolicy(explicit?.replay, base?.replay) ?? { policy: 'none' };

  oneOf('identity.delivery.policy', delivery.policy, DELIVERY_POLICIES);
  if (delivery.policy === 'delivery_header' && !delivery.header) {
    throw missing('identity.delivery.header');
  }
  if (delivery.policy === 'idempotency_key' && !delivery.header) {
    delivery.header = DEFAULT_IDEMPOTENCY_HEADER;
  }
  oneOf('identity.replay.policy', replay.policy, REPLAY_POLICIES);
  if (replay.policy === 'business_event' && !replay.path) throw missing('identity.replay.path');
  if (replay.policy === 'idempotency_key' && !replay.header) {
    replay.header = DEFAULT_IDEMPOTENCY_HEADER;
  }
  return { delivery, replay };
}

/**
 * An explicit policy replaces the preset's; when it names the same policy, fields it leaves
 * out (the header, the path) come from the preset.
 */
function mergePolicy<T extends { policy: string }>(
  explicit: T | undefined,
  base: T | undefined,
): T | undefined {
  if (!explicit) return base ? { ...base } : undefined;
  if (base && base.policy === explicit.policy) return { ...base, ...withoutUndefined(explicit) };
  return { ...explicit };
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (value === undefined || value === null || value === '') throw missing(field);
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw configError(field, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function seconds(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw configError(field, `must be a number of seconds ≥ 0; got ${JSON.stringify(value)}`);
  }
  return value;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function missing(field: string): ProcessingConfigurationError {
  return configError(field, 'is required');
}

function configError(field: string, problem: string): ProcessingConfigurationError {
  return new ProcessingConfigurationError(
    `Invalid inbound security configuration: ${field} ${problem}`,
    {
      field,
    },
  );
}
