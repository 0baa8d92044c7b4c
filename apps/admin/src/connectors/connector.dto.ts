import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { IsStringRecord } from '../common/validation';
import { SLUG } from '../handlers/handler.dto';

/**
 * Request bodies for `/api/v1/connectors` (SPEC §7). `credentials` is write-only: it is
 * sealed with the SecretBox as one envelope and reads only say `credentialsSet` and which
 * names are set. An update that gives `credentials` replaces them all; `null` clears them.
 */
export const TECHNICAL_PREFIX = /^[a-z0-9][a-z0-9-]*$/;

export class CreateConnectorDto {
  @ApiProperty({ example: 'stripe', description: 'a registered connector kind' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  kind: string;

  @ApiProperty({ example: 'stripe-main' })
  @IsString()
  @MaxLength(100)
  @Matches(SLUG, { message: 'code must be a lowercase slug (a-z, 0-9, _ and -)' })
  code: string;

  @ApiProperty({ example: 'Stripe (main account)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({
    type: String,
    example: 'https://api.stripe.com',
    description: 'outbound base URL of linked endpoints (the kind may default it)',
    nullable: true,
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'baseUrl must be an absolute http(s) URL' },
  )
  @MaxLength(2000)
  baseUrl?: string | null;

  @ApiPropertyOptional({
    example: { secretKey: 'sk_test_…', webhookSecret: 'whsec_…' },
    description: 'write-only; names depend on the kind',
    nullable: true,
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsStringRecord()
  credentials?: Record<string, string> | null;

  @ApiPropertyOptional({ example: {} })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'stripe-eu',
    description: 'prefix of linked endpoint codes; default from the kind (<kind>-<id>)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(TECHNICAL_PREFIX, { message: 'technicalPrefix must be lowercase a-z, 0-9 and -' })
  technicalPrefix?: string;
}

export class UpdateConnectorDto extends PartialType(OmitType(CreateConnectorDto, ['kind'])) {}
