import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConnectorCache } from '@app/connectors';
import type { HandlerRegistry } from '@app/core';
import {
  configChangeListener,
  DeliveryQueue,
  leasedWorker,
  MessagingModule,
  QueueName,
} from '@app/messaging';
import { DeliveryIntake } from '@app/outbound';
import { DeliveryLeases, HandlerCache } from '@app/persistence';
import { PersistenceModule } from '@app/persistence/persistence.module';
import { PlatformModule } from '@app/platform';
import type { OutboundDispatcherConfig } from './config';
import { configCacheProviders } from './config-caches.providers';
import { AnnouncedSendDelivery } from './dispatch/announced-send-delivery';
import { dispatchProviders } from './dispatch/dispatch.providers';
import { OutboundEndpointCache } from './dispatch/outbound-endpoint-cache';
import { intakeProviders } from './intake/intake.providers';

/**
 * Composition root of the outbound dispatcher: a worker process (publish intake, delivery
 * sender, reconciler) whose small HTTP server serves only health and metrics.
 */
@Module({})
export class OutboundDispatcherModule {
  static register(options: {
    config: OutboundDispatcherConfig;
    dataSource: DataSource;
    registry?: HandlerRegistry;
  }): DynamicModule {
    const { config } = options;
    return {
      module: OutboundDispatcherModule,
      imports: [
        PlatformModule.forApp({
          app: 'outbound-dispatcher',
          config,
          dataSource: options.dataSource,
          // Express serves only /health, /metrics and /api/docs-json here: no request
          // context, so promise hooks stay off for the delivery workers (loggerOptions).
          requestContext: false,
        }),
        PersistenceModule,
        MessagingModule.forApp({
          config,
          consumes: [QueueName.OutboundRequests, QueueName.OutboundDeliveries],
        }),
      ],
      providers: [
        ...configCacheProviders(config, options.registry),
        ...intakeProviders(config),
        ...dispatchProviders(config),
        ...leasedWorker({
          queue: DeliveryQueue,
          handler: AnnouncedSendDelivery,
          leases: DeliveryLeases,
          concurrency: config.DISPATCHER_CONCURRENCY,
          reconcileIntervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
        }),
        // A renamed tenant must not keep receiving requests sent to its old name.
        configChangeListener(
          config,
          [OutboundEndpointCache, HandlerCache, ConnectorCache, DeliveryIntake],
          (
            endpoints: OutboundEndpointCache,
            handlers: HandlerCache,
            connectors: ConnectorCache,
            intake: DeliveryIntake,
          ) => ({
            handler: (id) => handlers.invalidate(id),
            connector: (id) => connectors.invalidate(id),
            tenant: () => intake.forgetTenants(),
            otherwise: () => endpoints.invalidate(),
          }),
        ),
      ],
    };
  }
}
