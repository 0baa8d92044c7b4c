import { Global, Module, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseHealth, REPOSITORIES } from '@app/persistence';
import { DATABASE_PING } from '@app/platform';

const providers: Provider[] = [
  ...REPOSITORIES.map((Repository) => ({
    provide: Repository,
    inject: [DataSource],
    useFactory: (dataSource: DataSource) => new Repository(dataSource),
  })),
  // The readiness check's database ping (PlatformModule's /health/ready).
  {
    provide: DATABASE_PING,
    inject: [DataSource],
    useFactory: (dataSource: DataSource) => new DatabaseHealth(dataSource),
  },
];

/** The repositories (all SQL) and the readiness ping, bound once on the app's DataSource for every feature module. */
@Global()
@Module({ providers, exports: providers })
export class RepositoriesModule {}
