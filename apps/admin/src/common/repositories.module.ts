import { Global, Module, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { REPOSITORIES } from '@app/persistence';

const providers: Provider[] = REPOSITORIES.map((Repository) => ({
  provide: Repository,
  inject: [DataSource],
  useFactory: (dataSource: DataSource) => new Repository(dataSource),
}));

/** The repositories (all SQL), bound once on the app's DataSource for every feature module. */
@Global()
@Module({ providers, exports: providers })
export class RepositoriesModule {}
