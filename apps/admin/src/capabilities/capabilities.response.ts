import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BODY_MODES,
  CONDITION_OPERATORS,
  DIGEST_ALGORITHMS,
  HTTP_METHODS,
  SECRET_ENCODINGS,
  SIGNATURE_ENCODINGS,
  TIMESTAMP_FORMATS,
  VALUE_TRANSFORMS,
  type Capabilities,
} from '@app/core';
import { RuleDto } from '../handlers/handler.dto';

/**
 * The documented shape of core's capabilities description (`describeCapabilities`). Names
 * that grow with core (presets, actions, sources) are plain strings here, so the OpenAPI
 * document and the generated client do not have to change when core gains one.
 */
class ChoiceResponse {
  @ApiProperty({ example: 'delivery_header' })
  value: string;

  @ApiProperty({ example: 'A delivery header' })
  label: string;

  @ApiProperty({
    type: [String],
    example: ['header'],
    description: 'the settings the choice takes besides itself',
  })
  fields: string[];
}

class PresetFreshnessResponse {
  @ApiProperty({ description: 'whether the preset checks a signed timestamp' })
  enabled: boolean;

  @ApiPropertyOptional({ example: 300, description: 'the oldest timestamp accepted' })
  maxAgeSeconds?: number;
}

class PresetCapabilityResponse {
  @ApiProperty({ example: 'stripe', description: 'the `signature.preset` value' })
  name: string;

  @ApiProperty({ example: 'Stripe' })
  label: string;

  @ApiProperty({ type: PresetFreshnessResponse })
  freshness: PresetFreshnessResponse;

  @ApiProperty({
    type: [String],
    example: ['slack'],
    description: 'handshakes the provider sends before its events',
  })
  handshakes: string[];

  @ApiProperty({ enum: SECRET_ENCODINGS, description: 'how the preset reads its secret' })
  secretEncoding: string;

  @ApiProperty({
    type: [String],
    example: ['secret'],
    description: 'what an endpoint must supply on top of the preset',
  })
  requires: string[];
}

class CustomSignatureDefaultsResponse {
  @ApiProperty({ example: 'X-Signature' })
  header: string;

  @ApiProperty({ example: 'sha256=' })
  prefix: string;

  @ApiProperty({ enum: DIGEST_ALGORITHMS })
  digest: string;

  @ApiProperty({ enum: SIGNATURE_ENCODINGS })
  encoding: string;

  @ApiProperty({ enum: SECRET_ENCODINGS })
  secretEncoding: string;

  @ApiProperty({ example: 'plain' })
  headerFormat: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ kind: 'body' }],
  })
  parts: Array<Record<string, unknown>>;

  @ApiProperty({ example: 'literal', description: 'the kind a part added to the list starts as' })
  newPartKind: string;
}

class SignatureCapabilitiesResponse {
  @ApiProperty({ type: [PresetCapabilityResponse] })
  presets: PresetCapabilityResponse[];

  @ApiProperty({ type: [String], example: DIGEST_ALGORITHMS })
  digests: string[];

  @ApiProperty({ type: [String], example: SIGNATURE_ENCODINGS })
  encodings: string[];

  @ApiProperty({ type: [String], example: SECRET_ENCODINGS })
  secretEncodings: string[];

  @ApiProperty({ type: [ChoiceResponse] })
  headerFormats: ChoiceResponse[];

  @ApiProperty({ type: [ChoiceResponse], description: 'signed part kinds and their fields' })
  partKinds: ChoiceResponse[];

  @ApiProperty({
    type: CustomSignatureDefaultsResponse,
    description: 'what a new custom scheme starts with',
  })
  customDefaults: CustomSignatureDefaultsResponse;
}

class FreshnessDefaultsResponse {
  @ApiProperty({ enum: TIMESTAMP_FORMATS })
  format: string;

  @ApiProperty({ example: 300 })
  maxAgeSeconds: number;

  @ApiProperty({ example: 300 })
  maxFutureSkewSeconds: number;
}

class FreshnessCapabilitiesResponse {
  @ApiProperty({ type: [String], example: TIMESTAMP_FORMATS })
  timestampFormats: string[];

  @ApiProperty({
    type: FreshnessDefaultsResponse,
    description: 'what a timestamp check gets for the settings it leaves out',
  })
  defaults: FreshnessDefaultsResponse;
}

class IdentityCapabilitiesResponse {
  @ApiProperty({ type: [ChoiceResponse] })
  delivery: ChoiceResponse[];

  @ApiProperty({ type: [ChoiceResponse] })
  replay: ChoiceResponse[];
}

class HandshakeTokenResponse {
  @ApiProperty({ example: 'verifyToken', description: 'the field under `handshakes.<name>`' })
  field: string;

  @ApiProperty({ example: 'Meta verify token' })
  label: string;
}

class HandshakeCapabilityResponse {
  @ApiProperty({ example: 'meta', description: 'the key under `handshakes`' })
  name: string;

  @ApiProperty({ example: "Answer Meta's verification (GET hub.challenge)" })
  label: string;

  @ApiPropertyOptional({
    type: HandshakeTokenResponse,
    description: 'the write-only token it is checked with',
  })
  token?: HandshakeTokenResponse;
}

class RequestCapabilitiesResponse {
  @ApiProperty({ type: [String], example: HTTP_METHODS })
  methods: string[];

  @ApiProperty({ type: [String], example: BODY_MODES })
  bodyModes: string[];
}

class ActionParameterResponse {
  @ApiProperty({ example: 'targetModel', description: 'the rule field' })
  field: string;

  @ApiProperty({
    enum: ['seconds', 'text', 'list'],
    description: '`seconds`: a number over 0; `text`: a non-empty string; `list`: a JSON list',
  })
  type: string;

  @ApiProperty({ description: 'whether the action cannot run without it' })
  required: boolean;

  @ApiProperty({ example: 'Target model' })
  label: string;

  @ApiPropertyOptional({ example: 'An outbound endpoint code' })
  description?: string;

  @ApiPropertyOptional({ example: 'issues' })
  placeholder?: string;

  @ApiProperty({
    example: 'a targetModel',
    description: 'the problem reads `<action> needs <need>`',
  })
  need: string;
}

class ActionCapabilityResponse {
  @ApiProperty({ example: 'upsert_record', description: 'the rule `action` value' })
  name: string;

  @ApiProperty({ type: [ActionParameterResponse] })
  parameters: ActionParameterResponse[];
}

class DirectionCapabilitiesResponse {
  @ApiProperty({ type: [ActionCapabilityResponse] })
  actions: ActionCapabilityResponse[];

  @ApiProperty({ type: [String], example: ['payload', 'headers', 'query', 'semantic', 'event'] })
  conditionSources: string[];

  @ApiProperty({
    type: [String],
    example: ['payload', 'header', 'query', 'semantic', 'event', 'literal'],
    description: 'value source kinds for lookups and assignments',
  })
  valueSources: string[];

  @ApiProperty({ example: 'done', description: 'the action a rule added in an editor starts with' })
  newRuleAction: string;

  @ApiProperty({ type: [RuleDto], description: "rules a new handler's editor starts with" })
  example: RuleDto[];
}

class OperatorCapabilityResponse {
  @ApiProperty({ example: 'starts with', description: `one of ${CONDITION_OPERATORS.join(', ')}` })
  operator: string;

  @ApiProperty({
    enum: ['none', 'value', 'list', 'pattern'],
    description: 'what the condition value must be',
  })
  operand: string;
}

class RuleCapabilitiesResponse {
  @ApiProperty({ type: [OperatorCapabilityResponse] })
  operators: OperatorCapabilityResponse[];

  @ApiProperty({ example: 'payload', description: 'the source of a condition that names none' })
  defaultConditionSource: string;

  @ApiProperty({ type: [String], example: VALUE_TRANSFORMS })
  transforms: string[];

  @ApiProperty({ type: DirectionCapabilitiesResponse })
  inbound: DirectionCapabilitiesResponse;

  @ApiProperty({ type: DirectionCapabilitiesResponse })
  outbound: DirectionCapabilitiesResponse;
}

export class CapabilitiesResponse implements Capabilities {
  @ApiProperty({ type: SignatureCapabilitiesResponse })
  signature: Capabilities['signature'];

  @ApiProperty({ type: FreshnessCapabilitiesResponse })
  freshness: Capabilities['freshness'];

  @ApiProperty({ type: IdentityCapabilitiesResponse })
  identity: Capabilities['identity'];

  @ApiProperty({ type: [HandshakeCapabilityResponse] })
  handshakes: Capabilities['handshakes'];

  @ApiProperty({ type: RequestCapabilitiesResponse })
  request: Capabilities['request'];

  @ApiProperty({ type: RuleCapabilitiesResponse })
  rules: Capabilities['rules'];
}
