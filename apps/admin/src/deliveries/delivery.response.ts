import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_STATES, type DeliveryState } from '@app/persistence';
import type {
  DeliveryAttemptView,
  DeliveryDetail,
  DeliverySummary,
  DeliveryView,
} from './deliveries.service';
import { BODY_EXCERPT_CHARS, type DeliveryOutcome, type FirstAttemptView } from './delivery.views';

/** The documented shapes of deliveries and their attempts as the API answers them. */
export class DeliverySummaryResponse implements DeliverySummary {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  endpointId: string | null;

  @ApiProperty({ example: 'crm-orders', description: 'the endpoint asked for' })
  endpointCode: string;

  @ApiProperty({ type: String, nullable: true, example: 'order.paid' })
  eventType: string | null;

  @ApiProperty({ enum: DELIVERY_STATES })
  state: DeliveryState;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { orderId: 'A-42' },
  })
  context: Record<string, string>;

  @ApiProperty({ type: String, nullable: true, example: 'order-A-42-paid' })
  idempotencyKey: string | null;

  @ApiProperty({ example: false })
  isTest: boolean;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sourceEventId: string | null;

  @ApiProperty({ example: 1 })
  attemptCount: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextAttemptAt: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  responseStatus: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: string | null;
}

export class DeliveryResponse extends DeliverySummaryResponse implements DeliveryView {
  @ApiProperty({ example: { orderId: 'A-42', total: 1999 } })
  payload: unknown;

  @ApiPropertyOptional({ description: 'true when the idempotency key matched a stored delivery' })
  duplicate?: boolean;
}

export class DeliveryAttemptResponse implements DeliveryAttemptView {
  @ApiProperty({ example: 1 })
  attemptNumber: number;

  @ApiProperty({ example: 'done' })
  outcome: string;

  @ApiProperty({ format: 'date-time' })
  startedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 42 })
  durationMs: number | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the request as sent, secrets redacted',
  })
  request: unknown;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  responseStatus: number | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'credential headers (Set-Cookie, …) read `[redacted]`',
  })
  responseHeaders: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true, description: 'truncated' })
  responseBody: string | null;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  errorClass: string | null;
}

export class DeliveryDetailResponse extends DeliveryResponse implements DeliveryDetail {
  @ApiProperty({ type: String, nullable: true })
  errorStack: string | null;

  @ApiProperty({ type: [DeliveryAttemptResponse], description: 'the attempt log, oldest first' })
  attempts: DeliveryAttemptView[];
}

export class PublishedDeliveriesResponse {
  @ApiProperty({ type: [DeliveryResponse], description: 'one per subscribed endpoint' })
  deliveries: DeliveryView[];
}

export class ReplayedResponse {
  @ApiProperty({ example: 12, description: 'deliveries reset and queued' })
  replayed: number;
}

export class FirstAttemptResponse implements FirstAttemptView {
  @ApiProperty({ example: 1 })
  attemptNumber: number;

  @ApiProperty({ example: 'success', description: 'success, retry, error, dead_letter' })
  outcome: string;

  @ApiProperty({ type: Number, nullable: true, example: 200, description: "the receiver's status" })
  status: number | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "the receiver's headers; credential headers (Set-Cookie, …) read `[redacted]`",
  })
  headers: Record<string, unknown> | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: `the first ${BODY_EXCERPT_CHARS} characters of the receiver's body (the attempt log keeps up to 64 KiB)`,
  })
  bodyExcerpt: string | null;

  @ApiProperty({ example: false })
  bodyTruncated: boolean;

  @ApiProperty({ type: Number, nullable: true, example: 42 })
  durationMs: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  error: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'timeout, dns, …' })
  errorClass: string | null;
}

export class DeliveryOutcomeResponse implements DeliveryOutcome {
  @ApiProperty({
    type: DeliveryResponse,
    description: 'the delivery as it stands after the attempt',
  })
  delivery: DeliveryView;

  @ApiProperty({
    type: FirstAttemptResponse,
    nullable: true,
    description: 'null when the delivery finished without an HTTP attempt (a rule, a gate)',
  })
  attempt: FirstAttemptView | null;
}
