import { ApiProperty } from '@nestjs/swagger';
import { OUTBOUND_ENDPOINT_STATES, type OutboundEndpointState } from '@app/persistence';
import {
  EndpointHealthDto,
  HeaderRuleDto,
  PayloadRuleDto,
  QueryRuleDto,
  RetryPolicyDto,
} from './outbound-endpoint.dto';
import type { OutboundEndpointView } from './outbound-endpoints.service';

/** The documented shape of an outbound endpoint as the API answers it (secrets never shown). */
export class OutboundEndpointResponse implements OutboundEndpointView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'crm-orders' })
  code: string;

  @ApiProperty({ example: 'CRM orders' })
  name: string;

  @ApiProperty({ enum: OUTBOUND_ENDPOINT_STATES })
  state: OutboundEndpointState;

  @ApiProperty({ example: 'POST' })
  method: string;

  @ApiProperty({ example: 'json' })
  bodyMode: string;

  @ApiProperty({ example: 'https://crm.example.com/api' })
  targetHost: string;

  @ApiProperty({ example: '/orders/{orderId}/events' })
  targetPath: string;

  @ApiProperty({ example: 10000 })
  timeoutMs: number;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  handlerId: string | null;

  @ApiProperty({
    type: [HeaderRuleDto],
    description:
      "a credential header's value (Authorization, X-Api-Token, …) is write-only: it reads `[redacted]`, and writing `[redacted]` back keeps the stored value",
  })
  headerRules: OutboundEndpointView['headerRules'];

  @ApiProperty({ type: [PayloadRuleDto] })
  payloadRules: OutboundEndpointView['payloadRules'];

  @ApiProperty({ example: false })
  replacePayload: boolean;

  @ApiProperty({ type: [QueryRuleDto] })
  queryRules: OutboundEndpointView['queryRules'];

  @ApiProperty({ example: ['order.*'] })
  eventTypes: string[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'the signing scheme; the secret is write-only and reads back as `secretSet`. During a ' +
      'rotation window `previousSecretExpiresAt` says until when the old secret signs too',
    example: {
      type: 'standard-webhooks',
      secretSet: true,
      previousSecretExpiresAt: '2026-12-06T12:00:00.000Z',
    },
  })
  signing: OutboundEndpointView['signing'];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'request authentication; secrets are write-only and read back as `secretSet`',
    example: { type: 'bearer', secretSet: true },
  })
  auth: OutboundEndpointView['auth'];

  @ApiProperty({ type: RetryPolicyDto })
  retryPolicy: OutboundEndpointView['retryPolicy'];

  @ApiProperty({ type: Number, nullable: true, example: null })
  rateLimitPerSecond: number | null;

  @ApiProperty({ type: EndpointHealthDto })
  health: OutboundEndpointView['health'];

  @ApiProperty({ example: 0 })
  consecutiveFailures: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  failingSince: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabledAt: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  disabledReason: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  connectorId: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  codeSuffix: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
