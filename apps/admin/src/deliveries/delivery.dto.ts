import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '@app/core';
import { DELIVERY_STATES, type DeliveryState } from '@app/persistence';
import { UUID_PATTERN } from '../common/ids';
import { PageQuery } from '../common/pagination';
import { IsStringRecord, IsTimestamp } from '../common/validation';

/**
 * Request bodies and filters for `/api/v1/deliveries` and `/api/v1/events` (SPEC §5, §8).
 * The publish bodies are the `deliver` and `publish` job contracts without `tenant`: the
 * API key names the tenant.
 */
export class CreateDeliveryDto {
  @ApiPropertyOptional({
    example: 'crm-orders',
    description: 'outbound endpoint code (or id); or give connector and suffix',
  })
  @ValidateIf((o: CreateDeliveryDto) => o.connector === undefined || o.endpoint !== undefined)
  @IsString({ message: 'endpoint is required (or connector and suffix)' })
  @MinLength(1)
  @MaxLength(200)
  endpoint?: string;

  @ApiPropertyOptional({
    example: 'stripe-main',
    description: 'connector code (or id), with suffix',
  })
  @ValidateIf((o: CreateDeliveryDto) => o.suffix !== undefined || o.connector !== undefined)
  @IsString({ message: 'connector is required with suffix' })
  @MinLength(1)
  @MaxLength(200)
  connector?: string;

  @ApiPropertyOptional({ example: 'customers', description: "the connector's endpoint suffix" })
  @ValidateIf((o: CreateDeliveryDto) => o.connector !== undefined || o.suffix !== undefined)
  @IsString({ message: 'suffix is required with connector' })
  @MinLength(1)
  @MaxLength(200)
  suffix?: string;

  @ApiProperty({ example: { orderId: 'A-42', total: 1999 } })
  @IsDefined({ message: 'payload is required' })
  payload: unknown;

  @ApiPropertyOptional({ example: { orderId: 'A-42' }, description: 'values for {token}s' })
  @IsOptional()
  @IsStringRecord()
  context?: Record<string, string>;

  @ApiPropertyOptional({ example: 'order-A-42-paid', description: 'unique per endpoint' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  idempotencyKey?: string;
}

export class PublishEventDto {
  @ApiProperty({ example: 'order.paid' })
  @IsString()
  @MaxLength(MAX_EVENT_TYPE_LENGTH)
  @Matches(EVENT_TYPE_PATTERN, { message: 'eventType must be a dotted name like order.paid' })
  @Matches(/^[^*]*$/, { message: 'eventType cannot hold wildcards; endpoints subscribe with them' })
  eventType: string;

  @ApiProperty({ example: { orderId: 'A-42', total: 1999 } })
  @IsDefined({ message: 'payload is required' })
  payload: unknown;

  @ApiPropertyOptional({ example: { orderId: 'A-42' } })
  @IsOptional()
  @IsStringRecord()
  context?: Record<string, string>;

  @ApiPropertyOptional({ example: 'order-A-42-paid', description: 'unique per endpoint' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  idempotencyKey?: string;
}

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
