import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsStringRecord } from '../common/validation';

/** The event facts `{kind:"event"}` sources read (inbound); defaults stand in for a fresh event. */
export class SimulatedEventDto {
  @ApiPropertyOptional({ description: 'default: a fresh id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  id?: string;

  @ApiPropertyOptional({ example: '2026-11-30T12:00:00Z', description: 'default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  receivedAt?: string;

  @ApiPropertyOptional({ description: 'default: the path of an endpoint using the handler' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  endpointPath?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  deliveryIdentity?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  replayIdentity?: string;

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  attempts?: number;
}

/** The delivery facts `{kind:"event"}` sources read (outbound). */
export class SimulatedDeliveryDto {
  @ApiPropertyOptional({ description: 'default: a fresh id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  id?: string;

  @ApiPropertyOptional({ example: '2026-11-30T12:00:00Z', description: 'default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdAt?: string;

  @ApiPropertyOptional({ example: 'order.paid' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  eventType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  idempotencyKey?: string;

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  attempts?: number;
}

/**
 * `POST /handlers/:id/simulate` (SPEC §11). `payload`, `headers`, `query`, `semantic` and
 * `event` describe an inbound event; `payload`, `context`, `endpoint` and `delivery` an
 * outbound delivery.
 */
export class SimulateHandlerDto {
  @ApiPropertyOptional({ description: 'the parsed body (any JSON); default null' })
  @Allow()
  payload?: unknown;

  @ApiPropertyOptional({ example: { 'x-github-event': 'issues' } })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string | string[]>;

  @ApiPropertyOptional({ example: { source: 'shop' } })
  @IsOptional()
  @IsObject()
  query?: Record<string, string | string[]>;

  @ApiPropertyOptional({ example: { account: 'acct_1' } })
  @IsOptional()
  @IsObject()
  semantic?: Record<string, unknown>;

  @ApiPropertyOptional({ type: SimulatedEventDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SimulatedEventDto)
  event?: SimulatedEventDto;

  @ApiPropertyOptional({ example: { orderId: 'A-42' }, description: 'outbound' })
  @IsOptional()
  @IsStringRecord()
  context?: Record<string, string>;

  @ApiPropertyOptional({ description: 'outbound: the endpoint (code or id) the delivery goes to' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  endpoint?: string;

  @ApiPropertyOptional({ type: SimulatedDeliveryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SimulatedDeliveryDto)
  delivery?: SimulatedDeliveryDto;
}
