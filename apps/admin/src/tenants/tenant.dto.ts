import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const NAME_MESSAGE = 'name must be a lowercase slug: a-z, 0-9, _ and -, at most 63 characters';

export class CreateTenantDto {
  @ApiProperty({ example: 'acme', description: 'unique; publishers name it in `tenant`' })
  @IsString()
  @Matches(TENANT_NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiPropertyOptional({ default: 30, minimum: 1, maximum: 3650 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays?: number;

  @ApiPropertyOptional({ default: 'initial admin', description: "name of the tenant's first key" })
  @IsOptional()
  @IsString()
  @Matches(/^\S.{0,99}$/, { message: 'adminKeyName must be 1-100 characters, not blank' })
  adminKeyName?: string;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'acme' })
  @IsOptional()
  @IsString()
  @Matches(TENANT_NAME, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 3650,
    description: 'done/rejected events and done deliveries older than this are deleted',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  retentionDays?: number;
}
