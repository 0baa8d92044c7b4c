import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import {
  CONDITION_OPERATORS,
  RECORD_OPERATIONS,
  type Condition,
  type RecordOperation,
} from '@app/core';
import { SLUG } from '../handlers/handler.dto';

/**
 * Request bodies for `/api/v1/record-triggers` (SPEC §11). Shapes are checked here; what
 * the operations, changed fields, conditions and event type mean is checked by core
 * (`recordTriggerProblems`, the rule engine's condition validators).
 */
export class SaveRecordTriggerDto {
  @ApiProperty({ example: 'issue-to-crm' })
  @IsString()
  @Matches(SLUG, { message: 'code must be a lowercase slug (a-z, 0-9, _ and -)' })
  @MaxLength(100)
  code: string;

  @ApiProperty({ example: 'Issues to the CRM' })
  @IsString()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'issues', description: 'the records-store model it watches' })
  @IsString()
  @Matches(SLUG, { message: 'model must be a lowercase slug' })
  @MaxLength(100)
  model: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', enum: [...RECORD_OPERATIONS] },
    example: ['created', 'updated'],
  })
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(RECORD_OPERATIONS, { each: true })
  operations: RecordOperation[];

  @ApiPropertyOptional({
    type: [String],
    example: ['state', 'assignee.login'],
    description: '`updated` fires only if one of these data paths changed (none: any update)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  changedFields?: string[];

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ source: 'payload', path: 'state', operator: '=', value: 'closed' }],
    description:
      'All must hold. `payload` is the record after the change (before it, for `deleted`); ' +
      '`event` offers operation, model, recordId, changedFields, before and after. ' +
      `Operators: ${CONDITION_OPERATORS.join(', ')}`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  conditions?: Condition[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'crm.issue.changed',
    description: 'the published event type; default `record.<model>.<operation>`',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(200)
  eventType?: string | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}
