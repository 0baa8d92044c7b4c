import { ApiProperty } from '@nestjs/swagger';
import { REFUSAL_REASONS, REFUSAL_DATA_PREFIX_CHARS, type RefusalReason } from '@app/outbound';
import type { OutboundRequestRefusalView } from './outbound-request-refusals.service';

/** The documented shape of a refused publish request as the API answers it. */
export class OutboundRequestRefusalResponse implements OutboundRequestRefusalView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'deliver', description: 'the BullMQ job name the producer used' })
  jobName: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'acme',
    description: 'the `tenant` the job named, as given (null: none, or not a string)',
  })
  tenant: string | null;

  @ApiProperty({ enum: REFUSAL_REASONS, example: 'malformed' })
  reason: RefusalReason;

  @ApiProperty({ example: 'endpoint (or connector and suffix) is required' })
  message: string;

  @ApiProperty({
    example: '{"payload":{"orderId":"A-42"},"context":{"n":1}}',
    description: `the job's data as JSON text, its first ${REFUSAL_DATA_PREFIX_CHARS} characters`,
  })
  data: string;

  @ApiProperty({ example: 48, description: "the size of the job's whole data as JSON, in bytes" })
  dataBytes: number;

  @ApiProperty({ description: '`data` is a prefix: the job held more' })
  dataTruncated: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
