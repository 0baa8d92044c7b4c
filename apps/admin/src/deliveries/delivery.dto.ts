import type { Type } from '@nestjs/common';
import {
  ApiProperty,
  ApiPropertyOptional,
  IntersectionType,
  OmitType,
  type ApiPropertyOptions,
} from '@nestjs/swagger';
import { Transform, Type as ToType } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  DeliverCommand,
  EVENT_TYPE_PATTERN,
  MAX_ENDPOINT_REF_LENGTH,
  MAX_EVENT_TYPE_LENGTH,
  MAX_DELIVER_FILES,
  MAX_FILE_CONTENT_TYPE_LENGTH,
  MAX_FILE_FIELD_LENGTH,
  MAX_FILENAME_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  PublishCommand,
} from '@app/core';
import { DELIVERY_STATES, type DeliveryState } from '@app/persistence';
import { UUID_PATTERN } from '../common/ids';
import { PageQuery } from '../common/pagination';
import { IsTimestamp } from '../common/validation';

/**
 * Request bodies and filters for `/api/v1/deliveries` and `/api/v1/events` (SPEC §5, §8).
 * The publish bodies are core's `deliver` and `publish` commands, the rules the
 * dispatcher's intake checks queue jobs with, without `tenant` (the API key names the
 * tenant). This file only describes them for OpenAPI.
 */
export class CreateDeliveryDto extends DeliverCommand {}

export class PublishEventDto extends PublishCommand {}

/** Most seconds `POST /deliveries?wait=` may hold a request (see DeliverAndWait). */
export const MAX_WAIT_SECONDS = 30;

/** `POST /deliveries?wait=5`: a synchronous send (issue 26). */
export class CreateDeliveryQuery {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    example: 5,
    description:
      'seconds to wait for the first attempt: 200 with its outcome when it comes in time, else 202 ' +
      '(0 or absent: answer 202 at once). The delivery is stored and retried as usual either way.',
  })
  @IsOptional()
  @ToType(() => Number)
  @IsInt({ message: 'wait must be a whole number of seconds' })
  @Min(0, { message: 'wait must be at least 0' })
  @Max(MAX_WAIT_SECONDS, { message: `wait must be at most ${MAX_WAIT_SECONDS} seconds` })
  wait?: number;
}

/** OpenAPI descriptions of fields a core class declares (core cannot import Nest). */
function describeFields<T>(type: Type<T>, fields: Partial<Record<keyof T, ApiPropertyOptions>>) {
  for (const [name, options] of Object.entries(fields) as Array<[string, ApiPropertyOptions]>) {
    ApiProperty(options)(type.prototype as object, name);
  }
}

/** Any JSON value but null (openapi-typescript: `unknown`-like, not `Record<string, never>`). */
const payloadField: ApiPropertyOptions = {
  required: true,
  oneOf: [
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
  ],
  description: "any JSON value but null: the body the endpoint's rules start from",
  example: { orderId: 'A-42', total: 1999 },
};
const contextField: ApiPropertyOptions = {
  required: false,
  type: Object,
  additionalProperties: { type: 'string' },
  description: 'values for the {token}s of the endpoint path and header rules',
  example: { orderId: 'A-42' },
};
const idempotencyKeyField: ApiPropertyOptions = {
  required: false,
  type: String,
  maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
  example: 'order-A-42-paid',
  description:
    'unique per endpoint: a repeat answers the stored delivery; `GET /deliveries?idempotencyKey=` finds it',
};

/** A file part of `POST /deliveries` (core's DeliverFile; OpenAPI only). */
export class DeliverFileDoc {
  @ApiProperty({
    example: 'invoice',
    maxLength: MAX_FILE_FIELD_LENGTH,
    description: 'form field name',
  })
  field: string;

  @ApiProperty({
    example: 'invoice-42.pdf',
    maxLength: MAX_FILENAME_LENGTH,
    description: 'no control characters (CR, LF, …), quotes, slashes or backslashes; not . or ..',
  })
  filename: string;

  @ApiPropertyOptional({
    example: 'application/pdf',
    maxLength: MAX_FILE_CONTENT_TYPE_LENGTH,
    description:
      'a media type (`type/subtype`, optional `; name=value`); default application/octet-stream',
  })
  contentType?: string;

  @ApiProperty({ example: 'JVBERi0xLjQK', description: 'the bytes, standard padded base64' })
  contentBase64: string;
}

describeFields(CreateDeliveryDto, {
  endpoint: {
    required: false,
    type: String,
    minLength: 1,
    maxLength: MAX_ENDPOINT_REF_LENGTH,
    example: 'crm-orders',
    description: 'outbound endpoint code (or id); or give connector and suffix',
  },
  connector: {
    required: false,
    type: String,
    minLength: 1,
    maxLength: MAX_ENDPOINT_REF_LENGTH,
    example: 'stripe-main',
    description: 'connector code (or id), with suffix',
  },
  suffix: {
    required: false,
    type: String,
    minLength: 1,
    maxLength: MAX_ENDPOINT_REF_LENGTH,
    example: 'customers',
    description: "the connector's endpoint suffix, with connector",
  },
  payload: payloadField,
  context: contextField,
  idempotencyKey: idempotencyKeyField,
  files: {
    required: false,
    type: [DeliverFileDoc],
    maxItems: MAX_DELIVER_FILES,
    description:
      "file parts for an endpoint whose bodyMode is multipart, sent after the payload's fields " +
      '(another body mode: the delivery is dead-lettered saying so). Decoded sizes: at most ' +
      'DELIVER_FILE_MAX_BYTES each (default 1 MiB) and DELIVER_FILES_MAX_TOTAL_BYTES together ' +
      '(default 5 MiB), else 400. Kept beside the delivery for its retries, deleted with it.',
  },
});

describeFields(PublishEventDto, {
  eventType: {
    required: true,
    type: String,
    maxLength: MAX_EVENT_TYPE_LENGTH,
    pattern: EVENT_TYPE_PATTERN.source,
    example: 'order.paid',
    description: 'a dotted name, without wildcards (endpoints subscribe with them)',
  },
  payload: payloadField,
  context: contextField,
  idempotencyKey: idempotencyKeyField,
});

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class DeliveryFilter {
  @ApiPropertyOptional({ enum: DELIVERY_STATES })
  @IsOptional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;

  @ApiPropertyOptional({ description: 'endpoint id or code' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  endpoint?: string;

  @ApiPropertyOptional({ example: 'order.paid' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  eventType?: string;

  @ApiPropertyOptional({
    example: 'order-A-42-paid',
    description: 'exact idempotency key (unique per endpoint: one delivery per endpoint at most)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  idempotencyKey?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'the inbound event whose rule forwarded (or published) the deliveries',
  })
  @IsOptional()
  @Matches(UUID_PATTERN, { message: 'sourceEventId must be a UUID' })
  sourceEventId?: string;

  @ApiPropertyOptional({ description: 'only test deliveries (true) or only real ones (false)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  isTest?: boolean;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'created at or after' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z', description: 'created before' })
  @IsOptional()
  @IsTimestamp()
  to?: string;
}

export class ListDeliveriesQuery extends IntersectionType(PageQuery, DeliveryFilter) {}

/** Deliveries an operator may send again in bulk: the `reset` sources. */
export const REPLAYABLE_STATES = ['error', 'dead_letter', 'canceled'] as const;

export class ReplayDeliveriesDto extends OmitType(DeliveryFilter, ['state'] as const) {
  @ApiPropertyOptional({
    enum: REPLAYABLE_STATES,
    description: 'default: error and dead_letter',
  })
  @IsOptional()
  @IsIn(REPLAYABLE_STATES, { message: `state must be one of ${REPLAYABLE_STATES.join(', ')}` })
  state?: (typeof REPLAYABLE_STATES)[number];

  @ApiPropertyOptional({
    default: false,
    description: 'true: only count what a replay would send now (`{ matched }`); nothing changes',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}
