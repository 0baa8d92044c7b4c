import { ApiProperty } from '@nestjs/swagger';
import type { InboundEndpointView } from './inbound-endpoints.service';

/** The documented shape of an inbound endpoint as the API answers it (secrets never shown). */
export class InboundEndpointResponse implements InboundEndpointView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'GitHub (acme)' })
  name: string;

  @ApiProperty({
    example: 'github/acme',
    description: 'globally unique; receives /webhooks/<path>',
  })
  path: string;

  @ApiProperty({ example: '/webhooks/github/acme' })
  url: string;

  @ApiProperty({ format: 'uuid' })
  handlerId: string;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  connectorId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'set on connector-linked endpoints; their path is <prefix>-<suffix>',
  })
  codeSuffix: string | null;

  @ApiProperty({ example: 1048576 })
  maxBodyBytes: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the signature scheme; secrets are write-only and read back as `secretSet`',
    example: { mode: 'hmac', preset: 'github', secretSet: true, secondarySecretSet: false },
  })
  signature: InboundEndpointView['signature'];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { delivery: { policy: 'delivery_header', header: 'X-GitHub-Delivery' } },
  })
  identity: InboundEndpointView['identity'];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { enabled: true, header: 'X-Slack-Request-Timestamp', maxAgeSeconds: 300 },
  })
  timestamp: InboundEndpointView['timestamp'];

  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  semanticBindings: unknown[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { slack: false, meta: { verifyTokenSet: true }, zoom: null },
  })
  handshakes: InboundEndpointView['handshakes'];

  @ApiProperty({ example: 60, description: 'rejected requests stored per minute, at most' })
  rejectedPerMinute: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
