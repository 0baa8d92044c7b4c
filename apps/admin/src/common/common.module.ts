import { Global, Module, type DynamicModule } from '@nestjs/common';
import { buildHandlerRegistry } from '@app/callbacks';
import { MessagingModule, QueueName } from '@app/messaging';
import { buildConnectorKinds, CONNECTOR_KINDS, type ConnectorKindRegistry } from '@app/connectors';
import { createSecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, SECRET_BOX } from '@app/platform';
import type { AdminConfig } from '../config';
import { ConfigChangePublisher } from './config-change.publisher';
import { RepositoriesModule } from './repositories.module';

/**
 * What every feature of the admin app may use: the repositories, the queues (the admin
 * app only adds jobs), the SecretBox, the connector kinds and the handler registry built
 * from them, and the configuration-change announcements.
 */
@Global()
@Module({})
export class CommonModule {
  static forRoot(config: AdminConfig): DynamicModule {
    const providers = [
      { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
      { provide: CONNECTOR_KINDS, useFactory: buildConnectorKinds },
      {
        provide: HANDLER_REGISTRY,
        inject: [CONNECTOR_KINDS],
        useFactory: (kinds: ConnectorKindRegistry) => buildHandlerRegistry({ kinds }),
      },
      ConfigChangePublisher,
    ];
    const messaging = MessagingModule.forApp({
      config,
      consumes: [],
      // OutboundRequests only for the queue UI: the admin app publishes nothing to it.
      produces: [QueueName.InboundEvents, QueueName.OutboundDeliveries, QueueName.OutboundRequests],
      // Admin actions enqueue best effort; the reconcilers cover a Redis outage.
      connection: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
    });
    return {
      module: CommonModule,
      imports: [RepositoriesModule, messaging],
      providers,
      exports: [
        ...providers.map((p) => ('provide' in p ? p.provide : p)),
        RepositoriesModule,
        messaging,
      ],
    };
  }
}
