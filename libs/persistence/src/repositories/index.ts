import { ConnectorsRepository } from './connectors.repository';
import { HandlersRepository } from './handlers.repository';
import { InboundEndpointsRepository } from './inbound-endpoints.repository';
import { OutboundEndpointsRepository } from './outbound-endpoints.repository';

export * from './base.repository';
export * from './keyset';
export * from './connectors.repository';
export * from './handlers.repository';
export * from './inbound-endpoints.repository';
export * from './outbound-endpoints.repository';

/**
 * Every repository class, each built from the DataSource alone: what an app binds once
 * (`new R(dataSource)`) and hands to its services.
 */
export const REPOSITORIES = [
  ConnectorsRepository,
  HandlersRepository,
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
] as const;
