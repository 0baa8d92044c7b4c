import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  BODY_MODES,
  DIGEST_ALGORITHMS,
  HTTP_METHODS,
  MAX_EVENT_TYPE_LENGTH,
  SECRET_ENCODINGS,
  SIGNATURE_ENCODINGS,
  VALUE_TRANSFORMS,
  type BodyMode,
  type DigestAlgorithm,
  type HttpMethod,
  type SecretEncoding,
  type SignatureEncoding,
  type ValueSource,
  type ValueTransform,
} from '@app/core';
import { OUTBOUND_ENDPOINT_STATES, type OutboundEndpointState } from '@app/persistence';
import { PageQuery } from '../common/pagination';
import { IsStringRecord } from '../common/validation';
import { SLUG } from '../handlers/handler.dto';

/**
 * Request bodies for `/api/v1/outbound-endpoints` (SPEC §5). Shapes are checked here;
 * what only makes sense as a whole (templates, signing secrets, retry bounds) is checked by
 * outbound-endpoint.validation.ts. Secrets (`signing.secret`, `auth.password|token|value`)
 * are write-only.
 */
export const SIGNING_TYPES = ['none', 'standard-webhooks', 'hmac'] as const;
export const AUTH_TYPES = ['none', 'basic', 'bearer', 'api_key'] as const;

export class HeaderRuleDto {
  @ApiProperty({ example: 'X-Tenant' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'acme-{region}', description: 'may hold {token}s from the context' })
  @IsString()
  @MaxLength(4000)
  value: string;
}

export class PayloadRuleDto {
  @ApiProperty({ example: 'customer.email', description: 'body path to set; "" replaces the body' })
  @IsString()
  @MaxLength(500)
  path: string;

  @ApiProperty({ example: { kind: 'context', key: 'email' } })
  @IsObject()
  source: ValueSource;

  @ApiPropertyOptional({ enum: VALUE_TRANSFORMS })
  @IsOptional()
  @IsIn(VALUE_TRANSFORMS)
  transform?: ValueTransform;

  @ApiPropertyOptional({ description: 'used when the source resolves to nothing' })
  @IsOptional()
  default?: unknown;
}

export class QueryRuleDto {
  @ApiProperty({ example: 'status', description: 'query parameter name (sent percent-encoded)' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: { kind: 'payload', path: 'order.status' } })
  @IsObject()
  source: ValueSource;

  @ApiPropertyOptional({ enum: VALUE_TRANSFORMS })
  @IsOptional()
  @IsIn(VALUE_TRANSFORMS)
  transform?: ValueTransform;

  @ApiPropertyOptional({ description: 'used when the source resolves to nothing' })
  @IsOptional()
  default?: unknown;
}

export class SigningDto {
  @ApiProperty({ enum: SIGNING_TYPES })
  @IsIn(SIGNING_TYPES)
  type: (typeof SIGNING_TYPES)[number];

  @ApiPropertyOptional({
    description: 'write-only; a whsec_ secret for standard-webhooks; kept when omitted on update',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  secret?: string;

  @ApiPropertyOptional({ example: 'X-Signature', description: 'hmac: the header to write' })
  @ValidateIf((o: SigningDto) => o.type === 'hmac' || o.header !== undefined)
  @IsString({ message: 'hmac signing needs a header' })
  @MaxLength(200)
  header?: string;

  @ApiPropertyOptional({ enum: DIGEST_ALGORITHMS, default: 'sha256' })
  @IsOptional()
  @IsIn(DIGEST_ALGORITHMS)
  digest?: DigestAlgorithm;

  @ApiPropertyOptional({ enum: SIGNATURE_ENCODINGS, default: 'hex' })
  @IsOptional()
  @IsIn(SIGNATURE_ENCODINGS)
  encoding?: SignatureEncoding;

  @ApiPropertyOptional({ enum: SECRET_ENCODINGS, default: 'utf8' })
  @IsOptional()
  @IsIn(SECRET_ENCODINGS)
  secretEncoding?: SecretEncoding;

  @ApiPropertyOptional({ example: 'sha256=' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  prefix?: string;

  @ApiPropertyOptional({ description: 'hmac: write t=<unix>,v1=<sig> and sign "<t>.<body>"' })
  @IsOptional()
  @IsBoolean()
  timestamped?: boolean;
}

export class AuthDto {
  @ApiProperty({ enum: AUTH_TYPES })
  @IsIn(AUTH_TYPES)
  type: (typeof AUTH_TYPES)[number];

  @ApiPropertyOptional({ description: 'basic' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  username?: string;

  @ApiPropertyOptional({ description: 'basic; write-only' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  password?: string;

  @ApiPropertyOptional({ description: 'bearer; write-only' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  token?: string;

  @ApiPropertyOptional({ enum: ['header', 'query'], default: 'header', description: 'api_key' })
  @IsOptional()
  @IsIn(['header', 'query'])
  in?: 'header' | 'query';

  @ApiPropertyOptional({ example: 'X-Api-Key', description: 'api_key: header or parameter name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'api_key; write-only' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  value?: string;
}

export class RetryPolicyDto {
  @ApiPropertyOptional({ default: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxAttempts?: number;

  @ApiPropertyOptional({ default: 60 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  initialDelaySeconds?: number;

  @ApiPropertyOptional({ default: 2 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(10)
  multiplier?: number;

  @ApiPropertyOptional({ default: 86400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * 86_400)
  maxDelaySeconds?: number;
}

export class EndpointHealthDto {
  @ApiPropertyOptional({ description: 'disable after this many consecutive failed attempts' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  disableAfterFailures?: number | null;

  @ApiPropertyOptional({ default: 432000, description: 'disable after failing for this long' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(365 * 86_400)
  disableAfterSeconds?: number | null;
}

export class CreateOutboundEndpointDto {
  @ApiProperty({ example: 'crm-orders' })
  @IsString()
  @Matches(SLUG, { message: 'code must be a lowercase slug (a-z, 0-9, _ and -)' })
  @MaxLength(100)
  code: string;

  @ApiProperty({ example: 'CRM orders' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    enum: ['draft', 'active'],
    default: 'draft',
    description: 'later changes go through /activate and /archive',
  })
  @IsOptional()
  @IsIn(['draft', 'active'])
  state?: 'draft' | 'active';

  @ApiPropertyOptional({ enum: HTTP_METHODS, default: 'POST' })
  @IsOptional()
  @IsIn(HTTP_METHODS)
  method?: HttpMethod;

  @ApiPropertyOptional({
    enum: BODY_MODES,
    default: 'json',
    description: '`none` sends no body (the only mode, and the default, of GET and HEAD)',
  })
  @IsOptional()
  @IsIn(BODY_MODES)
  bodyMode?: BodyMode;

  @ApiProperty({ example: 'https://crm.example.com/api' })
  @IsString()
  @MaxLength(2000)
  targetHost: string;

  @ApiPropertyOptional({ example: '/orders/{orderId}/events', default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  targetPath?: string;

  @ApiPropertyOptional({ default: 10000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(120_000)
  timeoutMs?: number;

  @ApiPropertyOptional({
    type: String,
    example: 'crm-sync',
    nullable: true,
    description: 'outbound handler id or code',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  handler?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'the same as handler, by id' })
  @IsOptional()
  @IsUUID()
  handlerId?: string | null;

  @ApiPropertyOptional({ type: [HeaderRuleDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => HeaderRuleDto)
  headerRules?: HeaderRuleDto[];

  @ApiPropertyOptional({ type: [PayloadRuleDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PayloadRuleDto)
  payloadRules?: PayloadRuleDto[];

  @ApiPropertyOptional({ default: false, description: 'build the body from payload rules alone' })
  @IsOptional()
  @IsBoolean()
  replacePayload?: boolean;

  @ApiPropertyOptional({
    type: [QueryRuleDto],
    description:
      'URL query parameters set from value sources (payload fields of a GET, say), after those of targetPath',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => QueryRuleDto)
  queryRules?: QueryRuleDto[];

  @ApiPropertyOptional({ example: ['order.*'], description: 'fan-out subscriptions' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(MAX_EVENT_TYPE_LENGTH, { each: true })
  eventTypes?: string[];

  @ApiPropertyOptional({ type: SigningDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SigningDto)
  signing?: SigningDto;

  @ApiPropertyOptional({ type: AuthDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AuthDto)
  auth?: AuthDto;

  @ApiPropertyOptional({ type: RetryPolicyDto, description: 'omitted fields take the defaults' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RetryPolicyDto)
  retryPolicy?: RetryPolicyDto;

  @ApiPropertyOptional({ nullable: true, description: 'deliveries per second; null = unlimited' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ type: EndpointHealthDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => EndpointHealthDto)
  health?: EndpointHealthDto;
}

/**
 * PUT: any field of the create body; omitted fields (and omitted secrets) are kept, `null`
 * clears `handler` and `rateLimitPerSecond`. State moves through /activate and /archive.
 */
export class UpdateOutboundEndpointDto extends PartialType(
  OmitType(CreateOutboundEndpointDto, ['state'] as const),
) {}

/** What the save-time checks read of a create or merged update (method and body mode resolved). */
export type EndpointRequestShape = Pick<
  CreateOutboundEndpointDto,
  | 'targetHost'
  | 'targetPath'
  | 'headerRules'
  | 'payloadRules'
  | 'replacePayload'
  | 'queryRules'
  | 'eventTypes'
> &
  Required<Pick<CreateOutboundEndpointDto, 'method' | 'bodyMode'>>;

/** `POST /outbound-endpoints/:id/test`: both optional; a sample payload is sent otherwise. */
export class TestDeliveryDto {
  @ApiPropertyOptional({ example: { hello: 'world' } })
  @IsOptional()
  payload?: unknown;

  @ApiPropertyOptional({ example: { orderId: 'A-42' }, description: 'values for {token}s' })
  @IsOptional()
  @IsStringRecord()
  context?: Record<string, string>;
}

export class ListOutboundEndpointsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: OUTBOUND_ENDPOINT_STATES })
  @IsOptional()
  @IsIn(OUTBOUND_ENDPOINT_STATES)
  state?: OutboundEndpointState;
}
