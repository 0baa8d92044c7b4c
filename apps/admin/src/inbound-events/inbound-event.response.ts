import { ApiProperty, OmitType } from '@nestjs/swagger';
import { INBOUND_EVENT_STATES } from './inbound-events.dto';
import type { InboundEventSummary, InboundEventView } from './inbound-events.service';

/** The documented shape of an inbound event as the API answers it (OpenAPI only). */
export class InboundEventResponse implements InboundEventView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  endpointId: string;

  @ApiProperty({ example: 'github/acme' })
  endpointPath: string;

  @ApiProperty({ enum: INBOUND_EVENT_STATES })
  state: string;

  @ApiProperty({ example: 'POST' })
  method: string;

  @ApiProperty({
    example: '/webhooks/github/acme',
    description: 'credential query values (token, api_key, sig, …) read `[redacted]`',
  })
  url: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'credential headers (Authorization, Cookie, *-Token, …) read `[redacted]`',
  })
  headers: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'credential query values (token, api_key, sig, …) read `[redacted]`',
  })
  query: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true, example: 'application/json' })
  contentType: string | null;

  @ApiProperty({ description: 'the parsed body (JSON, form fields) or null', example: {} })
  payload: unknown;

  @ApiProperty({
    type: 'object',
    properties: { base64: { type: 'string' }, bytes: { type: 'integer' } },
    description:
      'the body exactly as received; of a `rejected` event only its first ' +
      'REJECTED_BODY_PREFIX_BYTES (see `bodySize` and `bodySha256`)',
  })
  rawBody: { base64: string; bytes: number };

  @ApiProperty({
    type: Number,
    nullable: true,
    example: null,
    description:
      '`rejected` events: the size in bytes of the whole body (`rawBody` holds a prefix)',
  })
  bodySize: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: '`rejected` events: SHA-256 of the whole body, lowercase hex',
  })
  bodySha256: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { eventType: 'issues' } })
  semantic: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true })
  deliveryIdentity: string | null;

  @ApiProperty({ type: String, nullable: true })
  replayIdentity: string | null;

  @ApiProperty({ example: 0 })
  duplicateCount: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastDuplicateAt: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  rejectReason: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      '`rejected` events: the error code the gateway answered with (`signature_invalid`, ' +
      '`timestamp_invalid`, `payload_invalid`, `configuration_invalid`), the inbound ' +
      '`errorClass` of `GET /stats?groupBy=errorClass`; null for other states and for events ' +
      'rejected before the code was stored',
  })
  rejectCode: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'opened issues' })
  matchedRule: string | null;

  @ApiProperty({
    description:
      'the last run: each rule, each condition’s resolved value and result, the matched rule, ' +
      'the assignments written',
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { direction: 'inbound', mode: 'rules', rules: [], matchedRule: null, action: 'none' },
  })
  executionLog: unknown;

  @ApiProperty({
    type: 'object',
    nullable: true,
    properties: { message: { type: 'string' }, stack: { type: 'string', nullable: true } },
  })
  error: { message: string; stack: string | null } | null;

  @ApiProperty({ example: 1 })
  attempts: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  dueAt: string | null;

  @ApiProperty({ format: 'date-time' })
  receivedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  processedAt: string | null;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

/** A list item: the event without its bodies and logs. */
export class InboundEventSummaryResponse
  extends OmitType(InboundEventResponse, [
    'headers',
    'query',
    'payload',
    'rawBody',
    'executionLog',
    'semantic',
  ] as const)
  implements InboundEventSummary {}

export class ReprocessedResponse {
  @ApiProperty({ example: 12, description: 'events reset and queued again' })
  reprocessed: number;
}
