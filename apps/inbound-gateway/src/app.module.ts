import { join } from 'node:path';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { HandlerRegistry } from '@app/core';
import { buildHandlerRegistry } from '@app/callbacks';
import { ConnectorCache } from '@app/connectors';
import {
  DEFAULT_JOB_OPTIONS,
  InboundEventsJob,
  itemJobId,
  jobTraces,
  QueueName,
} from '@app/messaging';
import { DeliveryIntake, DeliveryQueue } from '@app/outbound';
import { SecretBox } from '@app/persistence';
import {
  HANDLER_REGISTRY,
  PlatformModule,
  REDIS_CLIENT,
  SECRET_BOX,
  createSecretBox,
  itemTraceparent,
  queueMetricsProvider,
} from '@app/platform';
import type { InboundGatewayConfig } from './config';
import { HandlerCache } from '@app/persistence';
import { InboundEventsProcessor } from './process/inbound-events.processor';
import { ProcessInboundEvent } from './process/process-inbound-event.use-case';
import { InboundReconciler } from './reconcile/inbound-reconciler';
import { ConfigChangeListener } from './receive/config-change.listener';
import { BullEventEnqueuer, describeEnqueueFailure } from './receive/bull-event-enqueuer';
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
        BullModule.forRoot({ connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX }),
        BullModule.registerQueue(
          { name: QueueName.InboundEvents, defaultJobOptions: DEFAULT_JOB_OPTIONS },
          { name: QueueName.OutboundDeliveries, defaultJobOptions: DEFAULT_JOB_OPTIONS },
        ),
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
            const enqueuer = new BullEventEnqueuer(queue, (error) =>
              logger.warn(describeEnqueueFailure(error)),
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
          provide: DeliveryQueue,
          inject: [getQueueToken(QueueName.OutboundDeliveries)],
          useFactory: (queue: Queue) => {
            const logger = new Logger('DeliveryQueue');
            return new DeliveryQueue(queue, (error) =>
              logger.warn(
                `enqueue failed, the dispatcher's reconciler will pick the deliveries up: ${String(error)}`,
              ),
            );
          },
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
        InboundEventsProcessor,
        InboundReconciler,
        ConfigChangeListener,
        // Depth and lag of the queue this app consumes, read when /metrics is scraped.
        queueMetricsProvider(QueueName.InboundEvents),
      ],
    };
  }
}
