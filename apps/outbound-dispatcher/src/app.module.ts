import { DynamicModule, Logger, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { buildHandlerRegistry } from '@app/callbacks';
import {
  buildConnectorKinds,
  CONNECTOR_KINDS,
  ConnectorCache,
  type ConnectorKindRegistry,
} from '@app/connectors';
import type { HandlerRegistry } from '@app/core';
import {
  configChangeListener,
  DeliveryQueue,
  leasedWorker,
  MessagingModule,
  publishConfigChange,
  QueueName,
} from '@app/messaging';
import { DeliveryIntake, RequestRefusals } from '@app/outbound';
import { createSecretBox, HandlerCache, type SecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, PlatformModule, REDIS_CLIENT, SECRET_BOX } from '@app/platform';
import {
  endpointBurstConcurrency,
  endpointConcurrency,
  type OutboundDispatcherConfig,
} from './config';
import { DisabledEndpointsMetric, EndpointHealth } from './dispatch/endpoint-health';
import { OutboundEndpointCache } from './dispatch/outbound-endpoint-cache';
import { RateLimiter } from './dispatch/rate-limiter';
import { EndpointSlots } from './dispatch/endpoint-slots';
import { SendDelivery } from './dispatch/send-delivery.use-case';
import { OutboundRequestsProcessor } from './intake/outbound-requests.processor';
import { DeliveryLeases } from './reconcile/delivery-leases';
import { HttpSender } from './send/http-sender';

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
        MessagingModule.forApp({
          config,
          consumes: [QueueName.OutboundRequests, QueueName.OutboundDeliveries],
        }),
      ],
      providers: [
        { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
        { provide: CONNECTOR_KINDS, useFactory: buildConnectorKinds },
        {
          provide: ConnectorCache,
          inject: [DataSource, SECRET_BOX],
          useFactory: (ds: DataSource, box: SecretBox) =>
            new ConnectorCache(ds, box, config.ENDPOINT_CACHE_TTL_MS),
        },
        {
          provide: HANDLER_REGISTRY,
          inject: [CONNECTOR_KINDS, ConnectorCache],
          useFactory: (kinds: ConnectorKindRegistry, connectors: ConnectorCache) =>
            options.registry ?? buildHandlerRegistry({ kinds, connectors }),
        },
        {
          provide: OutboundEndpointCache,
          inject: [DataSource, SECRET_BOX],
          useFactory: (ds: DataSource, box: SecretBox) =>
            new OutboundEndpointCache(ds, box, config.ENDPOINT_CACHE_TTL_MS),
        },
        {
          provide: HandlerCache,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new HandlerCache(ds, config.ENDPOINT_CACHE_TTL_MS),
        },
        {
          provide: HttpSender,
          useFactory: () =>
            new HttpSender({
              allowPrivateNetworks: config.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
              maxSockets: config.OUTBOUND_MAX_SOCKETS,
            }),
        },
        {
          provide: RateLimiter,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis) => new RateLimiter(redis, config.QUEUE_PREFIX),
        },
        {
          provide: EndpointHealth,
          inject: [DataSource, OutboundEndpointCache, REDIS_CLIENT],
          useFactory: (ds: DataSource, endpoints: OutboundEndpointCache, redis: Redis) => {
            const logger = new Logger('EndpointHealth');
            return new EndpointHealth(ds, (endpointId, reason) => {
              logger.warn(`outbound endpoint ${endpointId} disabled: ${reason}`);
              endpoints.invalidate(endpointId);
              publishConfigChange(redis, config.QUEUE_PREFIX, {
                entity: 'outbound-endpoint',
                id: endpointId,
              }).catch(() => undefined);
            });
          },
        },
        {
          provide: DeliveryIntake,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new DeliveryIntake(ds, config.ENDPOINT_CACHE_TTL_MS),
        },
        {
          provide: RequestRefusals,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new RequestRefusals(ds),
        },
        {
          provide: SendDelivery,
          inject: [
            DataSource,
            OutboundEndpointCache,
            HandlerCache,
            HANDLER_REGISTRY,
            HttpSender,
            RateLimiter,
            DeliveryQueue,
            EndpointHealth,
            CONNECTOR_KINDS,
            ConnectorCache,
          ],
          useFactory: (
            ds: DataSource,
            endpoints: OutboundEndpointCache,
            handlers: HandlerCache,
            registry: HandlerRegistry,
            sender: HttpSender,
            rateLimiter: RateLimiter,
            deliveries: DeliveryQueue,
            health: EndpointHealth,
            kinds: ConnectorKindRegistry,
            connectors: ConnectorCache,
          ) =>
            new SendDelivery(
              ds,
              endpoints,
              handlers,
              registry,
              sender,
              rateLimiter,
              {
                schedule: (id, attempts, delayMs, rerun) =>
                  deliveries.enqueue([{ id, attempts, delayMs, rerun }]),
              },
              health,
              {
                resolve: async (id) => {
                  const connector = await connectors.get(id);
                  return connector ? { connector, kind: kinds.get(connector.kind) } : null;
                },
              },
              config.PROCESSING_LEASE_SECONDS,
              new EndpointSlots(endpointConcurrency(config), {
                burstCap: endpointBurstConcurrency(config),
              }),
            ),
        },
        OutboundRequestsProcessor,
        DeliveryLeases,
        ...leasedWorker({
          queue: DeliveryQueue,
          handler: SendDelivery,
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
        DisabledEndpointsMetric,
      ],
    };
  }
}
