import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  DIGEST_ALGORITHMS,
  PRESET_NAMES,
  SECRET_ENCODINGS,
  SIGNATURE_ENCODINGS,
  SIGNATURE_HEADER_FORMAT_NAMES,
  type DigestAlgorithm,
  type IdentityConfig,
  type PresetName,
  type SecretEncoding,
  type SignatureEncoding,
  type SignatureHeaderFormat,
  type SignedPart,
  type TimestampConfig,
  type ValueSource,
} from '@app/core';

/** Request bodies for `/api/v1/inbound-endpoints` (SPEC §4). */
export class SignatureDto {
  @ApiProperty({ enum: ['none', 'hmac'] })
  @IsIn(['none', 'hmac'])
  mode: 'none' | 'hmac';

  /** Core's preset registry: a new preset is accepted here without touching this file. */
  @ApiPropertyOptional({ enum: PRESET_NAMES })
  @IsOptional()
  @IsIn(PRESET_NAMES)
  preset?: PresetName;

  @ApiPropertyOptional({ enum: DIGEST_ALGORITHMS })
  @IsOptional()
  @IsIn(DIGEST_ALGORITHMS)
  digest?: DigestAlgorithm;

  @ApiPropertyOptional({ enum: SIGNATURE_ENCODINGS })
  @IsOptional()
  @IsIn(SIGNATURE_ENCODINGS)
  encoding?: SignatureEncoding;

  @ApiPropertyOptional({
    description: 'write-only',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  secret?: string;

  @ApiPropertyOptional({ description: 'write-only; either secret verifies (rotation)' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  secondarySecret?: string;

  @ApiPropertyOptional({ enum: SECRET_ENCODINGS })
  @IsOptional()
  @IsIn(SECRET_ENCODINGS)
  secretEncoding?: SecretEncoding;

  @ApiPropertyOptional({ example: 'X-Signature' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  header?: string;

  @ApiPropertyOptional({ example: 'sha256=' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  prefix?: string;

  @ApiPropertyOptional({ enum: SIGNATURE_HEADER_FORMAT_NAMES })
  @IsOptional()
  @IsIn(SIGNATURE_HEADER_FORMAT_NAMES)
  headerFormat?: SignatureHeaderFormat;

  @ApiPropertyOptional({ example: 'v1' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  headerKey?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ kind: 'body' }],
  })
  @IsOptional()
  @IsArray()
  parts?: SignedPart[];
}

export class SemanticBindingDto {
  @ApiProperty({ example: 'customer' })
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/)
  name: string;

  @ApiProperty({ example: { kind: 'payload', path: 'data.object.customer' } })
  @IsObject()
  source: ValueSource;
}

export class MetaHandshakeDto {
  @ApiProperty({ description: 'write-only: the verify token configured at Meta' })
  @IsString()
  @MaxLength(500)
  verifyToken: string;
}

export class ZoomHandshakeDto {
  @ApiProperty({ description: 'write-only: the Zoom app secret token' })
  @IsString()
  @MaxLength(500)
  secretToken: string;
}

export class HandshakesDto {
  @ApiPropertyOptional({ description: 'answer Slack url_verification challenges' })
  @IsOptional()
  @IsBoolean()
  slack?: boolean;

  @ApiPropertyOptional({ type: MetaHandshakeDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => MetaHandshakeDto)
  meta?: MetaHandshakeDto | null;

  @ApiPropertyOptional({ type: ZoomHandshakeDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ZoomHandshakeDto)
  zoom?: ZoomHandshakeDto | null;
}

export class CreateInboundEndpointDto {
  @ApiProperty({ example: 'GitHub issues' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'github/issues', description: 'served at /webhooks/<path>' })
  @IsString()
  @MaxLength(200)
  @Matches(/^[a-z0-9][a-z0-9/_-]*$/, { message: 'path must match [a-z0-9][a-z0-9/_-]*' })
  path: string;

  @ApiProperty({ example: 'github-issues', description: 'handler id or code (inbound)' })
  @IsString()
  handler: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ default: 1048576 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50 * 1024 * 1024)
  maxBodyBytes?: number;

  @ApiPropertyOptional({ type: SignatureDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SignatureDto)
  signature?: SignatureDto;

  @ApiPropertyOptional({
    example: { delivery: { policy: 'delivery_header', header: 'X-GitHub-Delivery' } },
  })
  @IsOptional()
  @IsObject()
  identity?: IdentityConfig;

  @ApiPropertyOptional({
    example: { enabled: true, header: 'X-Timestamp', format: 'unix_seconds', maxAgeSeconds: 300 },
  })
  @IsOptional()
  @IsObject()
  timestamp?: TimestampConfig;

  @ApiPropertyOptional({ type: [SemanticBindingDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => SemanticBindingDto)
  semanticBindings?: SemanticBindingDto[];

  @ApiPropertyOptional({ type: HandshakesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => HandshakesDto)
  handshakes?: HandshakesDto;

  @ApiPropertyOptional({
    default: 60,
    description: 'rejected events stored per minute; the rest are only counted',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  rejectedPerMinute?: number;
}

/** PUT: any field of the create body; omitted fields (and omitted secrets) are kept. */
export class UpdateInboundEndpointDto extends PartialType(CreateInboundEndpointDto) {}
