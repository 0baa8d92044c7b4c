import { ApiKeysRepository } from './api-keys.repository';
import { AuditRepository } from './audit.repository';
import { ConnectorsRepository } from './connectors.repository';
import { HandlersRepository } from './handlers.repository';
import { InboundEndpointsRepository } from './inbound-endpoints.repository';
import { OutboundEndpointsRepository } from './outbound-endpoints.repository';
import { RecordsRepository } from './records/records.repository';
import { TenantsRepository } from './tenants.repository';

export * from './api-keys.repository';
export * from './audit.repository';
export * from './base.repository';
export * from './keyset';
export * from './connectors.repository';
export * from './handlers.repository';
export * from './inbound-endpoints.repository';
export * from './outbound-endpoints.repository';
export * from './records/record-errors';
export * from './records/record-store';
export * from './records/records.repository';
export * from './tenants.repository';

/**
 * Every repository class, each built from the DataSource alone: what an app binds once
 * (`new R(dataSource)`) and hands to its services.
 */
export const REPOSITORIES = [
  ApiKeysRepository,
  AuditRepository,
  ConnectorsRepository,
  HandlersRepository,
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
  RecordsRepository,
  TenantsRepository,
] as const;
