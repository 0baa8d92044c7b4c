import { ApiProperty } from '@nestjs/swagger';
import type { ExecutionLog } from '@app/core';
import type { SimulationView } from './handler-simulator.service';

/** The documented shape of `POST /handlers/:id/simulate` (OpenAPI only). */
export class SimulationResponse implements SimulationView {
  @ApiProperty({ format: 'uuid' })
  handlerId: string;

  @ApiProperty({ example: 'github-issues' })
  handlerCode: string;

  @ApiProperty({ enum: ['inbound', 'outbound'] })
  direction: 'inbound' | 'outbound';

  @ApiProperty({ type: String, nullable: true, example: 'opened issues' })
  matchedRule: string | null;

  @ApiProperty({ example: 'upsert_record' })
  action: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'the execution log the worker would record: every rule tried with each condition’s ' +
      'resolved value and result, the matched rule, assignments and lookups (records stays ' +
      'empty: nothing was written)',
    example: {
      direction: 'inbound',
      mode: 'rules',
      rules: [
        {
          sequence: 10,
          name: 'opened issues',
          matched: true,
          conditions: [
            {
              source: 'payload',
              path: 'action',
              operator: '=',
              expected: 'opened',
              actual: 'opened',
              result: true,
            },
          ],
        },
      ],
      matchedRule: 'opened issues',
      action: 'upsert_record',
      assignments: [
        { field: 'number', source: { kind: 'payload', path: 'issue.number' }, value: 42 },
      ],
      lookups: [],
      records: [],
    },
  })
  executionLog: ExecutionLog | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'what running it would do, without doing it: the state reached and the record, ' +
      'forwarded delivery or mutated request it would write or send',
    example: {
      state: 'done',
      record: {
        model: 'issues',
        operation: 'upsert',
        lookup: [{ field: 'number', value: 42 }],
        data: { number: 42 },
      },
    },
  })
  effects: Record<string, unknown>;
}
