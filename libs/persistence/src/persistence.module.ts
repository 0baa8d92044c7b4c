import { Global, Module, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseHealth } from './repositories/database-health.repository';
import { DeliveriesRepository, DeliveryLeases } from './repositories/deliveries.repository';
import { DeliveryIntakeRepository } from './repositories/delivery-intake.repository';
import { DispatcherEndpointsRepository } from './repositories/dispatcher-endpoints.repository';
import {
  InboundEventLeases,
  InboundEventsRepository,
} from './repositories/inbound-events.repository';
import { InboundEndpointLookupRepository } from './repositories/inbound-endpoint-lookup.repository';
import { TypeormUnitOfWork } from './repositories/unit-of-work';

/**
 * The repositories and the unit of work, bound once for an app (the rest of
 * libs/persistence stays free of NestJS; this file is its only Nest module). The
 * DataSource itself comes from PlatformModule, which owns its shutdown; main.ts prepares
 * and migrates it before Nest starts.
 */
const overDataSource = <T>(
  token: new (...args: never[]) => T,
  build: (ds: DataSource) => T,
): Provider => ({ provide: token, inject: [DataSource], useFactory: build });

const REPOSITORIES: Provider[] = [
  overDataSource(DatabaseHealth, (ds) => new DatabaseHealth(ds)),
  overDataSource(TypeormUnitOfWork, (ds) => new TypeormUnitOfWork(ds)),
  overDataSource(InboundEventsRepository, (ds) => new InboundEventsRepository(ds)),
  overDataSource(InboundEventLeases, (ds) => new InboundEventLeases(ds)),
  overDataSource(DeliveriesRepository, (ds) => new DeliveriesRepository(ds)),
  overDataSource(DeliveryLeases, (ds) => new DeliveryLeases(ds)),
  overDataSource(DispatcherEndpointsRepository, (ds) => new DispatcherEndpointsRepository(ds)),
  overDataSource(InboundEndpointLookupRepository, (ds) => new InboundEndpointLookupRepository(ds)),
  { provide: DeliveryIntakeRepository, useFactory: () => new DeliveryIntakeRepository() },
];

@Global()
@Module({
  providers: REPOSITORIES,
  exports: REPOSITORIES.map((p) => (p as { provide: unknown }).provide as never),
})
export class PersistenceModule {}
