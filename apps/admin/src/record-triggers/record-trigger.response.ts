import { ApiProperty } from '@nestjs/swagger';
import { RECORD_OPERATIONS, type Condition, type RecordOperation } from '@app/core';
import type { RecordTriggerView } from './record-triggers.service';

/** The documented shape of a record trigger as the API answers it (OpenAPI only). */
export class RecordTriggerResponse implements RecordTriggerView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'issue-to-crm' })
  code: string;

  @ApiProperty({ example: 'Issues to the CRM' })
  name: string;

  @ApiProperty({ example: 'issues' })
  model: string;

  @ApiProperty({ type: 'array', items: { type: 'string', enum: [...RECORD_OPERATIONS] } })
  operations: RecordOperation[];

  @ApiProperty({ type: [String] })
  changedFields: string[];

  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  conditions: Condition[];

  @ApiProperty({ type: String, nullable: true, example: null })
  eventType: string | null;

  @ApiProperty({
    example: ['record.issues.created', 'record.issues.updated'],
    description: 'the event types it publishes, for outbound endpoints to subscribe to',
  })
  publishes: string[];

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
