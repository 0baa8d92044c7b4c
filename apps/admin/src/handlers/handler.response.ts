import { ApiProperty } from '@nestjs/swagger';
import type { Rule } from '@app/core';
import { RuleDto } from './handler.dto';
import type { HandlerView } from './handlers.service';

/** The documented shape of a handler as the API answers it (OpenAPI only). */
export class HandlerResponse implements HandlerView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'github-issues' })
  code: string;

  @ApiProperty({ example: 'GitHub issues' })
  name: string;

  @ApiProperty({ enum: ['inbound', 'outbound'] })
  direction: 'inbound' | 'outbound';

  @ApiProperty({ enum: ['rules', 'callback'] })
  executionMode: 'rules' | 'callback';

  @ApiProperty({ type: String, nullable: true, example: null })
  callback: string | null;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ example: 5 })
  maxRetries: number;

  @ApiProperty({ type: [RuleDto], description: 'ordered by sequence' })
  rules: Rule[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
