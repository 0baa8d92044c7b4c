import { BullModule, getQueueToken } from '@nestjs/bullmq';
import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
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
  DEFAULT_JOB_OPTIONS,
  publishConfigChange,
  QueueName,
  subscribeConfigChanges,
} from '@app/messaging';
import { DeliveryIntake, DeliveryQueue, RequestRefusals } from '@app/outbound';
import { HandlerCache, type SecretBox } from '@app/persistence';
import {
  APP_CONFIG,
  HANDLER_REGISTRY,
  PlatformModule,
  REDIS_CLIENT,
  SECRET_BOX,
  createSecretBox,
  queueMetricsProvider,
} from '@app/platform';
import {
  endpointBurstConcurrency,
  endpointConcurrency,
  type OutboundDispatcherConfig,
} from './config';
import { DisabledEndpointsMetric, EndpointHealth } from './dispatch/endpoint-health';
import { OutboundDeliveriesProcessor } from './dispatch/outbound-deliveries.processor';
import { OutboundEndpointCache } from './dispatch/outbound-endpoint-cache';
import { RateLimiter } from './dispatch/rate-limiter';
import { EndpointSlots } from './dispatch/endpoint-slots';
import { SendDelivery } from './dispatch/send-delivery.use-case';
import { OutboundRequestsProcessor } from './intake/outbound-requests.processor';
import { DeliveryReconciler } from './reconcile/delivery-reconciler';
import { HttpSender } from './send/http-sender';

/**
 * Drops cached endpoint, handler and tenant configuration when the admin API announces a
 * change (a renamed tenant must not keep receiving requests sent to its old name).
 */
@Injectable()
class DispatcherConfigListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly endpoints: OutboundEndpointCache,
    private readonly handlers: HandlerCache,
    private readonly connectors: ConnectorCache,
    private readonly intake: DeliveryIntake,
    @Inject(APP_CONFIG) private readonly config: OutboundDispatcherConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = subscribeConfigChanges(
      this.config.REDIS_URL,
      this.config.QUEUE_PREFIX,
      (change) => {
        if (change.entity === 'handler') this.handlers.invalidate(change.id);
        else if (change.entity === 'connector') this.connectors.invalidate(change.id);
        else if (change.entity === 'tenant') this.intake.forgetTenants();
        else this.endpoints.invalidate();
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unsubscribe?.();
  }
}

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
        BullModule.forRoot({ connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX }),
        BullModule.registerQueue(
          { name: QueueName.OutboundRequests, defaultJobOptions: DEFAULT_JOB_OPTIONS },
          { name: QueueName.OutboundDeliveries, defaultJobOptions: DEFAULT_JOB_OPTIONS },
        ),
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
          provide: DeliveryQueue,
          inject: [getQueueToken(QueueName.OutboundDeliveries)],
          useFactory: (queue: Queue) => {
            const logger = new Logger('DeliveryQueue');
            return new DeliveryQueue(queue, (error) =>
              logger.warn(
                `enqueue failed, the reconciler will pick the deliveries up: ${String(error)}`,
              ),
            );
          },
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
        OutboundDeliveriesProcessor,
        OutboundRequestsProcessor,
        DeliveryReconciler,
        DispatcherConfigListener,
        // Depth and lag of the queues this app consumes, read when /metrics is scraped.
        queueMetricsProvider(QueueName.OutboundRequests, QueueName.OutboundDeliveries),
        DisabledEndpointsMetric,
      ],
    };
  }
}
