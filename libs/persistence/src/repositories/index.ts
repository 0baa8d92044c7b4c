import { ApiKeysRepository } from './api-keys.repository';
import { AuditRepository } from './audit.repository';
import { ConnectorsRepository } from './connectors.repository';
import { DeliveriesAdminRepository } from './deliveries-admin.repository';
import { HandlersRepository } from './handlers.repository';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { InboundEventsAdminRepository } from './inbound-events-admin.repository';
import { InboundEndpointsRepository } from './inbound-endpoints.repository';
import { OutboundEndpointsRepository } from './outbound-endpoints.repository';
import { OutboundRequestRefusalsRepository } from './outbound-request-refusals.repository';
import { RecordTriggersRepository } from './record-triggers.repository';
import { RecordsRepository } from './records/records.repository';
import { RetentionRepository } from './retention.repository';
import { StatsRepository } from './stats.repository';
import { TenantsRepository } from './tenants.repository';
import { DatabaseHealth } from './database-health.repository';
import { DeliveriesRepository, DeliveryLeases } from './deliveries.repository';
import { DispatcherEndpointsRepository } from './dispatcher-endpoints.repository';
import { InboundEndpointLookupRepository } from './inbound-endpoint-lookup.repository';
import { InboundEventLeases, InboundEventsRepository } from './inbound-events.repository';
import { TypeormUnitOfWork } from './unit-of-work';

export * from './api-keys.repository';
export * from './audit.repository';
export * from './base.repository';
export * from './keyset';
export * from './connectors.repository';
export * from './deliveries-admin.repository';
export * from './handlers.repository';
export * from './idempotency-keys.repository';
export * from './inbound-events-admin.repository';
export * from './inbound-endpoints.repository';
export * from './outbound-endpoints.repository';
export * from './outbound-request-refusals.repository';
export * from './record-triggers.repository';
export * from './records/record-errors';
export * from './records/record-store';
export * from './records/records.repository';
export * from './retention.repository';
export * from './stats.repository';
export * from './tenants.repository';
// The workers' tables: inbound events, deliveries and attempts, what the workers read
// and write of the endpoints, the intake's reads and inserts, and the unit of work.
export * from './sql-lease-store';
export * from './inbound-events.repository';
export * from './deliveries.repository';
export * from './delivery-intake.repository';
export * from './dispatcher-endpoints.repository';
export * from './inbound-endpoint-lookup.repository';
export * from './database-health.repository';
export * from './database-admin.repository';
export * from './unit-of-work';

/**
 * Every repository class, each built from the DataSource alone: what an app binds once
 * (`new R(dataSource)`) and hands to its services.
 */
export const REPOSITORIES = [
  ApiKeysRepository,
  AuditRepository,
  ConnectorsRepository,
  DeliveriesAdminRepository,
  HandlersRepository,
  IdempotencyKeysRepository,
  InboundEventsAdminRepository,
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
  OutboundRequestRefusalsRepository,
  RecordTriggersRepository,
  RecordsRepository,
  RetentionRepository,
  StatsRepository,
  TenantsRepository,
] as const;

/**
 * The workers' repositories and the unit of work, each built from the DataSource alone;
 * PersistenceModule binds them with {@link REPOSITORIES}.
 */
export const WORKER_REPOSITORIES = [
  DatabaseHealth,
  DeliveriesRepository,
  DeliveryLeases,
  DispatcherEndpointsRepository,
  InboundEndpointLookupRepository,
  InboundEventLeases,
  InboundEventsRepository,
  TypeormUnitOfWork,
] as const;
