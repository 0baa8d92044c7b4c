import { ApiKeyEntity } from './api-key.entity';
import { AuditEntryEntity } from './audit-entry.entity';
import { ConnectorEntity } from './connector.entity';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { DeliveryEntity } from './delivery.entity';
import { HandlerRuleEntity } from './handler-rule.entity';
import { HandlerEntity } from './handler.entity';
import { InboundEndpointEntity } from './inbound-endpoint.entity';
import { InboundEventEntity } from './inbound-event.entity';
import { OutboundEndpointEntity } from './outbound-endpoint.entity';
import { RecordEntity } from './record.entity';
import { TenantEntity } from './tenant.entity';

export * from './api-key.entity';
export * from './audit-entry.entity';
export * from './connector.entity';
export * from './delivery-attempt.entity';
export * from './delivery.entity';
export * from './handler-rule.entity';
export * from './handler.entity';
export * from './inbound-endpoint.entity';
export * from './inbound-event.entity';
export * from './outbound-endpoint.entity';
export * from './record.entity';
export * from './tenant.entity';

/** Every entity, for DataSource options. The schema itself is owned by the migrations. */
export const ALL_ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  HandlerEntity,
  HandlerRuleEntity,
  ConnectorEntity,
  InboundEndpointEntity,
  InboundEventEntity,
  OutboundEndpointEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
  RecordEntity,
  AuditEntryEntity,
];
