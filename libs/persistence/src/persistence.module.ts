import { Global, Module, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DATABASE_PING } from '@app/platform';
import {
  DatabaseHealth,
  DeliveryIntakeRepository,
  REPOSITORIES,
  WORKER_REPOSITORIES,
} from './repositories';

/**
 * The repositories and the unit of work, bound once for an app on its DataSource (the
 * rest of libs/persistence stays free of NestJS; this file is its only Nest module, and
 * the package index does not export it). The DataSource itself comes from PlatformModule,
 * which owns its shutdown; main.ts prepares and migrates it before Nest starts.
 */
const providers: Provider[] = [
  ...[...REPOSITORIES, ...WORKER_REPOSITORIES].map((Repository) => ({
    provide: Repository,
    inject: [DataSource],
    useFactory: (dataSource: DataSource) => new Repository(dataSource),
  })),
  { provide: DeliveryIntakeRepository, useFactory: () => new DeliveryIntakeRepository() },
  // The readiness check's database ping (PlatformModule's /health/ready).
  { provide: DATABASE_PING, useExisting: DatabaseHealth },
];

@Global()
@Module({ providers, exports: providers })
export class PersistenceModule {}
