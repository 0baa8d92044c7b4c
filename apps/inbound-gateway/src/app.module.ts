import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { HandlerRegistry } from '@app/core';
import { ConnectorCache } from '@app/connectors';
import {
  configChangeListener,
  InboundEventQueue,
  leasedWorker,
  MessagingModule,
  QueueName,
} from '@app/messaging';
import { HandlerCache, InboundEventLeases } from '@app/persistence';
import { PersistenceModule } from '@app/persistence/persistence.module';
import { PlatformModule } from '@app/platform';
import type { InboundGatewayConfig } from './config';
import { configCacheProviders } from './config-caches.providers';
import { processProviders } from './process/process.providers';
import { ProcessInboundEvent } from './process/process-inbound-event.use-case';
import { EndpointCache } from './receive/endpoint-cache';
import { receiveProviders } from './receive/receive.providers';

export { EVENT_STORE } from './receive/receive.providers';

/** Composition root of the inbound gateway: the receiver, the inbound worker, the reconciler. */
@Module({})
export class InboundGatewayModule {
  static register(options: {
    config: InboundGatewayConfig;
    dataSource: DataSource;
    registry?: HandlerRegistry;
    /**
     * The compiled event-writer thread. Default: `writer-thread.js` beside the receiver,
     * which exists in a build; tests running the TypeScript sources point at `dist/`.
     */
    writerThreadScript?: string;
  }): DynamicModule {
    const { config } = options;
    return {
      module: InboundGatewayModule,
      imports: [
        PlatformModule.forApp({
          app: 'inbound-gateway',
          config,
          dataSource: options.dataSource,
          // Express serves only /health and /api/docs-json here; webhooks never pass
          // through it. No request context keeps promise hooks off (loggerOptions).
          requestContext: false,
          // The webhook port is public: /metrics (every endpoint, how each answers) is on
          // a listener of its own, loopback by default.
          metricsListener: { host: config.INBOUND_METRICS_HOST, port: config.INBOUND_METRICS_PORT },
        }),
        PersistenceModule,
        MessagingModule.forApp({
          config,
          consumes: [QueueName.InboundEvents],
          produces: [QueueName.OutboundDeliveries],
        }),
      ],
      providers: [
        ...configCacheProviders(config, options.registry),
        ...receiveProviders(config, options.writerThreadScript),
        ...processProviders(config),
        ...leasedWorker({
          queue: InboundEventQueue,
          handler: ProcessInboundEvent,
          leases: InboundEventLeases,
          concurrency: config.INBOUND_WORKER_CONCURRENCY,
          reconcileIntervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
        }),
        configChangeListener(
          config,
          [EndpointCache, HandlerCache, ConnectorCache],
          (endpoints: EndpointCache, handlers: HandlerCache, connectors: ConnectorCache) => ({
            handler: (id) => handlers.invalidate(id),
            connector: (id) => connectors.invalidate(id),
            // Outbound endpoints are not cached here. An inbound endpoint change drops that
            // endpoint and every remembered unknown path (it may have created one), not the
            // hot endpoints; a tenant change (or anything unknown) drops them all.
            'outbound-endpoint': () => undefined,
            'inbound-endpoint': (id) =>
              endpoints.invalidate(typeof id === 'string' ? id : undefined),
            otherwise: () => endpoints.invalidate(),
          }),
        ),
      ],
    };
  }
}
