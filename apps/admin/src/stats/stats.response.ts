import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The documented shape of `GET /stats` (OpenAPI only; StatsView is the type). */
const BY_STATE = {
  type: 'object',
  additionalProperties: { type: 'integer' },
  example: { done: 900, rejected: 50, error: 30, dead_letter: 20 },
} as const;

export class LatencyStatsDoc {
  @ApiProperty({ type: Number, nullable: true, example: 34 })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 60 })
  p95: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 994 })
  p99: number | null;

  @ApiProperty({ example: 10000, description: 'attempts the percentiles were computed from' })
  sampleSize: number;

  @ApiProperty({
    example: true,
    description: 'true when the window held more attempts than the sample (the most recent count)',
  })
  sampled: boolean;
}

export class EndpointStatsDoc {
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  endpointId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'github/issues',
    description: 'inbound: the path; outbound: the code; null for an unknown endpoint',
  })
  name: string | null;

  @ApiProperty({ example: 1000 })
  total: number;

  @ApiProperty(BY_STATE)
  byState: Record<string, number>;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.95,
    description: 'done / (done + error + dead_letter); null when nothing finished',
  })
  successRate: number | null;
}

export class OutboundEndpointStatsDoc extends EndpointStatsDoc {
  @ApiProperty({ type: LatencyStatsDoc })
  latencyMs: LatencyStatsDoc;
}

export class InboundStatsDoc {
  @ApiProperty({ example: 1000 })
  total: number;

  @ApiProperty(BY_STATE)
  byState: Record<string, number>;

  @ApiProperty({ type: Number, nullable: true, example: 0.95 })
  successRate: number | null;

  @ApiProperty({ type: [EndpointStatsDoc] })
  endpoints: EndpointStatsDoc[];
}

export class OutboundStatsDoc {
  @ApiProperty({ example: 1000 })
  total: number;

  @ApiProperty(BY_STATE)
  byState: Record<string, number>;

  @ApiProperty({ type: Number, nullable: true, example: 0.97 })
  successRate: number | null;

  @ApiProperty({ type: [OutboundEndpointStatsDoc] })
  endpoints: OutboundEndpointStatsDoc[];
}

export class DailyStatsDoc {
  @ApiProperty({ example: '2026-11-30' })
  day: string;

  @ApiProperty({ example: 120 })
  inbound: number;

  @ApiProperty({ example: 80 })
  outbound: number;
}

export class AttemptLatencyDoc extends LatencyStatsDoc {
  @ApiProperty({
    example:
      'exact over the most recent 10000 attempts started in the window (interrupted and refused attempts excluded)',
  })
  method: string;
}

export class EventTypeStatsDoc {
  @ApiProperty({ example: 'order.paid' })
  eventType: string;

  @ApiProperty({
    example: 120,
    description: 'fan-out deliveries of the type: done by when they finished, others by creation',
  })
  total: number;

  @ApiProperty(BY_STATE)
  byState: Record<string, number>;

  @ApiProperty({ type: Number, nullable: true, example: 0.98 })
  successRate: number | null;
}

export class RecordModelStatsDoc {
  @ApiProperty({ example: 'customer' })
  model: string;

  @ApiProperty({ example: 40, description: 'records of the model created in the window' })
  created: number;
}

export class ErrorClassStatsDoc {
  @ApiProperty({ enum: ['inbound', 'outbound'] })
  direction: 'inbound' | 'outbound';

  @ApiProperty({
    example: 'timeout',
    description:
      'outbound (failed attempts): timeout, connection_refused, connection_reset, dns, tls, ' +
      'network, refused_address, invalid_url, configuration, interrupted, http_4xx, http_5xx, ' +
      'http_3xx; inbound: signature_invalid, timestamp_invalid, payload_invalid, ' +
      'configuration_invalid (rejected: the code the gateway answered with, the event’s ' +
      '`rejectCode`; configuration_invalid when a check failed on the endpoint’s own ' +
      'configuration), handler_error, dead_letter',
  })
  errorClass: string;

  @ApiProperty({ example: 17 })
  count: number;
}

export class StatsBreakdownsDoc {
  @ApiPropertyOptional({
    type: [EventTypeStatsDoc],
    description: 'most deliveries first, at most 100',
  })
  eventType?: EventTypeStatsDoc[];

  @ApiPropertyOptional({
    type: [RecordModelStatsDoc],
    description: 'most records first, at most 100',
  })
  recordModel?: RecordModelStatsDoc[];

  @ApiPropertyOptional({
    type: [ErrorClassStatsDoc],
    description: 'most failures first, at most 100',
  })
  errorClass?: ErrorClassStatsDoc[];
}

export class StatsResponse {
  @ApiProperty({ format: 'date-time' })
  from: string;

  @ApiProperty({ format: 'date-time' })
  to: string;

  @ApiProperty({ type: InboundStatsDoc })
  inbound: InboundStatsDoc;

  @ApiProperty({ type: OutboundStatsDoc })
  outbound: OutboundStatsDoc;

  @ApiProperty({ type: [DailyStatsDoc], description: 'every UTC day the window touches' })
  daily: DailyStatsDoc[];

  @ApiProperty({ type: AttemptLatencyDoc })
  attemptLatencyMs: AttemptLatencyDoc;

  @ApiPropertyOptional({
    type: StatsBreakdownsDoc,
    description: 'present when `groupBy` asked for breakdowns: one list per dimension asked',
  })
  breakdowns?: StatsBreakdownsDoc;
}
