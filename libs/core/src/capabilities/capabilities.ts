/**
 * Owns the description of what this build of core can do, as data for a client: the
 * provider presets, the signature, freshness and identity vocabularies, the handshakes, an
 * outbound request's methods and body modes, and the rule language per direction (actions with their parameters, condition operators and
 * sources, value source kinds, transforms). Everything is read from the registries the
 * validators and the engine use, so a preset or an action added there is described here
 * with nothing else to change. The admin API serves it as `GET /api/v1/capabilities`; the
 * console builds its choices from it instead of keeping copies.
 */
import { VALUE_TRANSFORMS } from '../extraction/transforms';
import type { ValueSourceKind, ValueTransform } from '../extraction/value-source.types';
import { TIMESTAMP_FORMATS, type TimestampFormat } from '../freshness/freshness.types';
import {
  DELIVERY_IDENTITY_POLICIES,
  REPLAY_IDENTITY_POLICIES,
  type DeliveryIdentityPolicy,
  type IdentityField,
  type ReplayIdentityPolicy,
} from '../identity/identity.types';
import { BODY_MODES, HTTP_METHODS, type BodyMode, type HttpMethod } from '../request/request.types';
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_FUTURE_SKEW_SECONDS,
  DEFAULT_TIMESTAMP_FORMAT,
} from '../freshness/check-freshness';
import { HANDSHAKES, type HandshakeName } from '../presets/handshakes';
import { SIGNATURE_DEFAULTS } from '../presets/resolve-inbound-security';
import { PRESETS, PRESET_NAMES } from '../presets/presets';
import {
  CONDITION_OPERATOR_OPERANDS,
  CONDITION_SOURCES_BY_DIRECTION,
  DEFAULT_CONDITION_SOURCE,
  EXAMPLE_RULES,
  NEW_RULE_ACTION,
  RULE_ACTIONS,
  VALUE_KINDS_BY_DIRECTION,
  type ActionParameter,
  type OperatorOperand,
} from '../rules/rule-vocabulary';
import {
  CONDITION_OPERATORS,
  INBOUND_ACTIONS,
  OUTBOUND_ACTIONS,
  type ConditionOperator,
  type ConditionSource,
  type Direction,
  type Rule,
} from '../rules/rule.types';
import {
  DIGEST_ALGORITHMS,
  SECRET_ENCODINGS,
  SIGNATURE_ENCODINGS,
  SIGNATURE_HEADER_FORMATS,
  SIGNED_PART_KINDS,
  type DigestAlgorithm,
  type SecretEncoding,
  type SignatureEncoding,
  type SignatureHeaderFormat,
  type SignedPart,
  type SignedPartField,
} from '../signature/signature.types';

/** A choice with the words an operator reads, and the settings it brings along. */
export interface Choice<T extends string = string, F extends string = string> {
  value: T;
  label: string;
  /** The settings this choice takes besides itself (`headerKey`, `header`, `path`, …). */
  fields: F[];
}

export interface PresetCapability {
  name: string;
  label: string;
  /** Whether the preset checks a signed timestamp, and its window. */
  freshness: { enabled: boolean; maxAgeSeconds?: number };
  /** Handshakes the provider sends before its events (the endpoint still switches them on). */
  handshakes: HandshakeName[];
  /** How the preset's secret is written (`whsec` for `whsec_…`). */
  secretEncoding: SecretEncoding;
  /** What an endpoint must supply on top of the preset. */
  requires: Array<'secret'>;
}

export interface HandshakeCapability {
  name: HandshakeName;
  label: string;
  /** The write-only token the handshake is checked with, if any: its field and label. */
  token?: { field: 'verifyToken' | 'secretToken'; label: string };
}

export interface OperatorCapability {
  operator: ConditionOperator;
  operand: OperatorOperand;
}

export interface ActionCapability {
  name: string;
  parameters: ActionParameter[];
}

export interface DirectionCapabilities {
  actions: ActionCapability[];
  conditionSources: ConditionSource[];
  valueSources: ValueSourceKind[];
  /** The action a rule added in an editor starts with. */
  newRuleAction: string;
  /** Rules a new handler's editor starts with (valid for the direction). */
  example: Rule[];
}

export interface Capabilities {
  signature: {
    presets: PresetCapability[];
    digests: DigestAlgorithm[];
    encodings: SignatureEncoding[];
    secretEncodings: SecretEncoding[];
    headerFormats: Array<Choice<SignatureHeaderFormat, 'headerKey'>>;
    partKinds: Array<Choice<SignedPart['kind'], SignedPartField>>;
    /** What a new custom scheme starts with (core's defaults, and a common HMAC setup). */
    customDefaults: {
      header: string;
      prefix: string;
      digest: DigestAlgorithm;
      encoding: SignatureEncoding;
      secretEncoding: SecretEncoding;
      headerFormat: SignatureHeaderFormat;
      parts: SignedPart[];
      /** The kind a part added to the list starts as (a separator, the usual addition). */
      newPartKind: SignedPart['kind'];
    };
  };
  freshness: {
    timestampFormats: TimestampFormat[];
    /** What a timestamp check that leaves them out gets. */
    defaults: { format: TimestampFormat; maxAgeSeconds: number; maxFutureSkewSeconds: number };
  };
  identity: {
    delivery: Array<Choice<DeliveryIdentityPolicy, IdentityField>>;
    replay: Array<Choice<ReplayIdentityPolicy, IdentityField>>;
  };
  handshakes: HandshakeCapability[];
  /** What an outbound endpoint's request may be. */
  request: { methods: HttpMethod[]; bodyModes: BodyMode[] };
  rules: {
    operators: OperatorCapability[];
    defaultConditionSource: ConditionSource;
    transforms: ValueTransform[];
    inbound: DirectionCapabilities;
    outbound: DirectionCapabilities;
  };
}

/**
 * A new custom scheme's suggested settings that core has no default for: the common
 * `sha256=<hex>` HMAC of the body; a part added to it starts as literal text (a separator).
 */
const CUSTOM_SIGNATURE_SUGGESTION = {
  header: 'X-Signature',
  prefix: 'sha256=',
  digest: 'sha256',
  encoding: 'hex',
  newPartKind: 'literal',
} as const;

const choices = <T extends string, F extends string>(
  table: Readonly<Record<T, { label: string; fields: readonly F[] }>>,
): Array<Choice<T, F>> =>
  (Object.keys(table) as T[]).map((value) => ({
    value,
    label: table[value].label,
    fields: [...table[value].fields],
  }));

function presetCapabilities(): PresetCapability[] {
  return PRESET_NAMES.map((name) => {
    const preset = PRESETS[name];
    const timestamp = preset.timestamp;
    return {
      name,
      label: preset.label,
      freshness: timestamp.enabled
        ? { enabled: true, maxAgeSeconds: timestamp.maxAgeSeconds }
        : { enabled: false },
      handshakes: [...preset.handshakes],
      secretEncoding: preset.signature.secretEncoding,
      requires: ['secret'],
    };
  });
}

function directionCapabilities(direction: Direction): DirectionCapabilities {
  const actions = direction === 'inbound' ? INBOUND_ACTIONS : OUTBOUND_ACTIONS;
  return {
    actions: actions.map((name) => ({
      name,
      parameters: RULE_ACTIONS[name].parameters.map((parameter) => ({ ...parameter })),
    })),
    conditionSources: [...CONDITION_SOURCES_BY_DIRECTION[direction]],
    valueSources: [...VALUE_KINDS_BY_DIRECTION[direction]],
    newRuleAction: NEW_RULE_ACTION,
    // A deep copy: the caller may edit it (the console edits it as the form's start).
    example: structuredClone(EXAMPLE_RULES[direction]) as Rule[],
  };
}

/** The description, fresh each call (callers may keep and edit it). */
export function describeCapabilities(): Capabilities {
  return {
    signature: {
      presets: presetCapabilities(),
      digests: [...DIGEST_ALGORITHMS],
      encodings: [...SIGNATURE_ENCODINGS],
      secretEncodings: [...SECRET_ENCODINGS],
      headerFormats: choices(SIGNATURE_HEADER_FORMATS),
      partKinds: choices(SIGNED_PART_KINDS),
      customDefaults: {
        ...CUSTOM_SIGNATURE_SUGGESTION,
        secretEncoding: SIGNATURE_DEFAULTS.secretEncoding,
        headerFormat: SIGNATURE_DEFAULTS.headerFormat,
        parts: SIGNATURE_DEFAULTS.parts.map((part) => ({ ...part })),
      },
    },
    freshness: {
      timestampFormats: [...TIMESTAMP_FORMATS],
      defaults: {
        format: DEFAULT_TIMESTAMP_FORMAT,
        maxAgeSeconds: DEFAULT_MAX_AGE_SECONDS,
        maxFutureSkewSeconds: DEFAULT_MAX_FUTURE_SKEW_SECONDS,
      },
    },
    identity: {
      delivery: choices(DELIVERY_IDENTITY_POLICIES),
      replay: choices(REPLAY_IDENTITY_POLICIES),
    },
    handshakes: (Object.keys(HANDSHAKES) as HandshakeName[]).map((name) => ({
      name,
      ...HANDSHAKES[name],
    })),
    request: { methods: [...HTTP_METHODS], bodyModes: [...BODY_MODES] },
    rules: {
      operators: CONDITION_OPERATORS.map((operator) => ({
        operator,
        operand: CONDITION_OPERATOR_OPERANDS[operator],
      })),
      defaultConditionSource: DEFAULT_CONDITION_SOURCE,
      transforms: [...VALUE_TRANSFORMS],
      inbound: directionCapabilities('inbound'),
      outbound: directionCapabilities('outbound'),
    },
  };
}
