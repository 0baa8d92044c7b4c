import { join } from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { HandlerRegistry } from '@app/core';
import { buildHandlerRegistry } from '@app/callbacks';
import { ConnectorCache } from '@app/connectors';
import {
  configChangeListener,
  DeliveryQueue,
  describeEnqueueFailure,
  INBOUND_EVENT_WORK,
  InboundEventQueue,
  InboundEventsJob,
  itemJobId,
  jobTraces,
  leasedWorker,
  MessagingModule,
  PacedEnqueuer,
  QueueName,
} from '@app/messaging';
import { DeliveryIntake } from '@app/outbound';
import { createSecretBox, HandlerCache, SecretBox } from '@app/persistence';
import {
  HANDLER_REGISTRY,
  itemTraceparent,
  PlatformModule,
  REDIS_CLIENT,
  SECRET_BOX,
} from '@app/platform';
import type { InboundGatewayConfig } from './config';
import { ProcessInboundEvent } from './process/process-inbound-event.use-case';
import { InboundEventLeases } from './reconcile/inbound-event-leases';
import { EndpointCache } from './receive/endpoint-cache';
import { EVENT_WRITER_BATCH, EventWriter, runSqlOn, type EventStore } from './receive/event-writer';
import { ReceiveService } from './receive/receive.service';
import { RejectedBudget } from './receive/rejected-budget';
import { ThreadedEventWriter } from './receive/threaded-event-writer';

/** The receive pipeline's EventStore: ThreadedEventWriter, or EventWriter in-process. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** Composition root of the inbound gateway: the receiver, the inbound worker, the reconciler. */
@Module({})
export class InboundGatewayModule {
  static register(options: {
    config: InboundGatewayConfig;
    dataSource: DataSource;
    registry?: HandlerRegistry;
    /**
     * The compiled event-writer thread. Default: `writer-thread.js` next to this module,
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
        MessagingModule.forApp({
          config,
          consumes: [QueueName.InboundEvents],
          produces: [QueueName.OutboundDeliveries],
        }),
      ],
      providers: [
        { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
        {
          provide: ConnectorCache,
          inject: [DataSource, SECRET_BOX],
          useFactory: (ds: DataSource, box: SecretBox) =>
            new ConnectorCache(ds, box, config.ENDPOINT_CACHE_TTL_MS),
        },
        {
          provide: HANDLER_REGISTRY,
          inject: [ConnectorCache],
          useFactory: (connectors: ConnectorCache) =>
            options.registry ?? buildHandlerRegistry({ connectors }),
        },
        {
          provide: EndpointCache,
          inject: [DataSource, SECRET_BOX],
          useFactory: (ds: DataSource, box: SecretBox) =>
            new EndpointCache(
              ds,
              box,
              config.ENDPOINT_CACHE_TTL_MS,
              config.ENDPOINT_CACHE_MAX_ENTRIES,
            ),
        },
        {
          provide: EVENT_STORE,
          inject: [DataSource, getQueueToken(QueueName.InboundEvents)],
          useFactory: (ds: DataSource, queue: Queue): EventStore => {
            const logger = new Logger('EventWriter');
            if (config.INBOUND_WRITER_THREAD) {
              return new ThreadedEventWriter(
                options.writerThreadScript ?? join(__dirname, 'receive', 'writer-thread.js'),
                {
                  databaseUrl: config.DATABASE_URL,
                  poolSize: EVENT_WRITER_BATCH.maxInFlight + 1,
                  redisUrl: config.REDIS_URL,
                  queuePrefix: config.QUEUE_PREFIX,
                  applicationName: 'hookgate-inbound-writer',
                  preparedStatements: config.DB_PREPARED_STATEMENTS,
                },
                {
                  warn: (message) => logger.warn(message),
                  error: (message, error) => logger.error(message, error),
                },
              );
            }
            const enqueuer = new PacedEnqueuer(INBOUND_EVENT_WORK, queue, (error) =>
              logger.warn(describeEnqueueFailure(INBOUND_EVENT_WORK, error)),
            );
            return new EventWriter(runSqlOn(ds), { enqueuer });
          },
        },
        {
          provide: ReceiveService,
          inject: [EndpointCache, EVENT_STORE, REDIS_CLIENT],
          useFactory: (endpoints: EndpointCache, store: EventStore, redis: Redis) =>
            new ReceiveService(
              endpoints,
              store,
              new RejectedBudget(redis, {
                maxBytes: config.REJECTED_BYTES_PER_MINUTE,
                localMaxBytes: config.REJECTED_LOCAL_BYTES_PER_MINUTE,
                maxEventsCeiling: config.REJECTED_EVENTS_PER_MINUTE,
                prefix: config.QUEUE_PREFIX,
              }),
              config.REJECTED_BODY_PREFIX_BYTES,
            ),
        },
        {
          provide: HandlerCache,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new HandlerCache(ds, config.ENDPOINT_CACHE_TTL_MS),
        },
        {
          provide: DeliveryIntake,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new DeliveryIntake(ds),
        },
        {
          provide: ProcessInboundEvent,
          inject: [
            DataSource,
            HandlerCache,
            HANDLER_REGISTRY,
            getQueueToken(QueueName.InboundEvents),
            DeliveryIntake,
            DeliveryQueue,
          ],
          useFactory: (
            ds: DataSource,
            handlers: HandlerCache,
            registry: HandlerRegistry,
            queue: Queue,
            intake: DeliveryIntake,
            deliveries: DeliveryQueue,
          ) =>
            new ProcessInboundEvent(
              ds,
              handlers,
              registry,
              {
                scheduleRetry: async (eventId, attempts, delayMs) => {
                  // The retry continues the trace of the attempt that scheduled it.
                  const traces = jobTraces([
                    { id: eventId, traceparent: itemTraceparent(eventId) },
                  ]);
                  await queue.add(
                    InboundEventsJob.Process,
                    traces ? { eventId, traces } : { eventId },
                    { jobId: itemJobId(eventId, attempts), delay: delayMs },
                  );
                },
              },
              intake,
              { enqueueDeliveries: (ids) => deliveries.enqueueIds(ids) },
              config.PROCESSING_LEASE_SECONDS,
            ),
        },
        InboundEventLeases,
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
