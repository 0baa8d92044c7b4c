import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CONDITION_OPERATORS, INBOUND_ACTIONS, OUTBOUND_ACTIONS } from '@app/core';
import type { Assignment, Condition, Lookup } from '@app/core';

/** Request bodies for `/api/v1/handlers` (SPEC §3, §8). Rule semantics are checked by core. */
export const SLUG = /^[a-z0-9][a-z0-9_-]*$/;

export class RuleDto {
  @ApiProperty({ example: 10 })
  @IsInt()
  @Min(0)
  sequence: number;

  @ApiProperty({ example: 'opened issues' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ source: 'payload', path: 'action', operator: '=', value: 'opened' }],
    description: `Operators: ${CONDITION_OPERATORS.join(', ')}`,
  })
  @IsOptional()
  @IsArray()
  conditions?: Condition[];

  @ApiProperty({ enum: [...new Set([...INBOUND_ACTIONS, ...OUTBOUND_ACTIONS])] })
  @IsIn([...new Set([...INBOUND_ACTIONS, ...OUTBOUND_ACTIONS])])
  action: string;

  @ApiPropertyOptional({ example: 300 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30 * 86400)
  retrySeconds?: number;

  @ApiPropertyOptional({ example: 'issues' })
  @IsOptional()
  @IsString()
  @Matches(SLUG, { message: 'targetModel must be a lowercase slug' })
  targetModel?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ field: 'number', source: { kind: 'payload', path: 'issue.number' } }],
  })
  @IsOptional()
  @IsArray()
  lookups?: Lookup[];

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ field: 'title', source: { kind: 'payload', path: 'issue.title' } }],
  })
  @IsOptional()
  @IsArray()
  assignments?: Assignment[];

  @ApiPropertyOptional({ example: 'crm-sync' })
  @IsOptional()
  @IsString()
  forwardTo?: string;
}

export class CreateHandlerDto {
  @ApiProperty({ example: 'github-issues' })
  @IsString()
  @Matches(SLUG, { message: 'code must be a lowercase slug (a-z, 0-9, _ and -)' })
  @MaxLength(100)
  code: string;

  @ApiProperty({ example: 'GitHub issues' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiProperty({ enum: ['inbound', 'outbound'] })
  @IsIn(['inbound', 'outbound'])
  direction: 'inbound' | 'outbound';

  @ApiProperty({ enum: ['rules', 'callback'] })
  @IsIn(['rules', 'callback'])
  executionMode: 'rules' | 'callback';

  @ApiPropertyOptional({ example: 'github-issue-handler' })
  @ValidateIf((o: CreateHandlerDto) => o.executionMode === 'callback' || o.callback !== undefined)
  @IsString({ message: 'callback is required in callback mode' })
  callback?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ default: 5 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  maxRetries?: number;

  @ApiPropertyOptional({ type: [RuleDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => RuleDto)
  rules?: RuleDto[];
}

/** PUT replaces the handler's fields and its whole rule list; `code` and `direction` are fixed. */
export class UpdateHandlerDto extends OmitType(CreateHandlerDto, ['code', 'direction'] as const) {}
