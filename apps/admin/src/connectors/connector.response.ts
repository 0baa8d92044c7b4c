import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ConnectorDetailView, ConnectorView } from './connectors.service';
import type {
  ProvisionAction,
  ProvisionedEntity,
  ProvisionReport,
  ProvisionVerb,
} from './provision-connector.use-case';

/** The documented shapes of the connectors API's answers (OpenAPI only). */
export class ConnectorResponse implements ConnectorView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'stripe' })
  kind: string;

  @ApiProperty({ example: 'stripe-main' })
  code: string;

  @ApiProperty({ example: 'Stripe (main account)' })
  name: string;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ type: String, nullable: true, example: null })
  baseUrl: string | null;

  @ApiProperty({ example: true, description: 'credentials are write-only' })
  credentialsSet: boolean;

  @ApiProperty({ example: ['secretKey', 'webhookSecret'], description: 'names only' })
  credentialNames: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  settings: Record<string, unknown>;

  @ApiProperty({ example: 'stripe-0193b7f2-7c1e-7c4e-9a43-1c2f3e4d5a6b' })
  technicalPrefix: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class LinkedInboundEndpointResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ example: 'stripe-0193b7f2-7c1e-7c4e-9a43-1c2f3e4d5a6b-inbound' })
  path: string;

  @ApiProperty({ example: '/webhooks/stripe-0193b7f2-7c1e-7c4e-9a43-1c2f3e4d5a6b-inbound' })
  url: string;

  @ApiProperty({ type: String, nullable: true, example: 'inbound' })
  codeSuffix: string | null;

  @ApiProperty()
  active: boolean;
}

export class LinkedOutboundEndpointResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'stripe-0193b7f2-7c1e-7c4e-9a43-1c2f3e4d5a6b-customers' })
  code: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, nullable: true, example: 'customers' })
  codeSuffix: string | null;

  @ApiProperty({ enum: ['draft', 'active', 'archived'] })
  state: string;
}

export class ConnectorDetailResponse extends ConnectorResponse implements ConnectorDetailView {
  @ApiProperty({ type: LinkedInboundEndpointResponse, nullable: true })
  inboundEndpoint: LinkedInboundEndpointResponse | null;

  @ApiProperty({ type: [LinkedOutboundEndpointResponse] })
  outboundEndpoints: LinkedOutboundEndpointResponse[];
}

export class ProvisionActionResponse implements ProvisionAction {
  @ApiProperty({ enum: ['handler', 'inbound-endpoint', 'outbound-endpoint'] })
  entity: ProvisionedEntity;

  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'handler or outbound endpoint code; the inbound endpoint path' })
  code: string;

  @ApiProperty({ enum: ['created', 'updated', 'unchanged', 'archived', 'deactivated'] })
  action: ProvisionVerb;

  @ApiPropertyOptional({ example: ['header_rules'], description: 'for updated: what changed' })
  fields?: string[];
}

export class ProvisionReportResponse implements ProvisionReport {
  @ApiProperty({ format: 'uuid' })
  connectorId: string;

  @ApiProperty({ example: 'stripe' })
  kind: string;

  @ApiProperty({ example: false, description: 'false when the run changed nothing' })
  changed: boolean;

  @ApiProperty({ type: [ProvisionActionResponse] })
  actions: ProvisionActionResponse[];
}
