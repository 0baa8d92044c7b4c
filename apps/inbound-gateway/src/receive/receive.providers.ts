import { join } from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import { Logger, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  describeEnqueueFailure,
  INBOUND_EVENT_WORK,
  PacedEnqueuer,
  QueueName,
} from '@app/messaging';
import { InboundEndpointLookupRepository, type SecretBox } from '@app/persistence';
import { REDIS_CLIENT, SECRET_BOX, type RedisClient } from '@app/platform';
import type { InboundGatewayConfig } from '../config';
import { EndpointCache } from './endpoint-cache';
import { EVENT_WRITER_BATCH, EventWriter, runSqlOn, type EventStore } from './event-writer';
import { ReceiveService } from './receive.service';
import { RejectedBudget } from './rejected-budget';
import { ThreadedEventWriter } from './threaded-event-writer';

/** The receive pipeline's EventStore: ThreadedEventWriter, or EventWriter in-process. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** The receiver: endpoint lookups, the event store (group commit), the receive service. */
export function receiveProviders(
  config: InboundGatewayConfig,
  writerThreadScript: string | undefined,
): Provider[] {
  return [
    {
      provide: EndpointCache,
      inject: [InboundEndpointLookupRepository, SECRET_BOX],
      useFactory: (lookup: InboundEndpointLookupRepository, box: SecretBox) =>
        new EndpointCache(
          lookup,
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
            writerThreadScript ?? join(__dirname, 'writer-thread.js'),
            {
              databaseUrl: config.DATABASE_URL,
              poolSize: EVENT_WRITER_BATCH.maxInFlight + 1,
              redisUrl: config.REDIS_URL,
              redisClusterNodes: config.REDIS_CLUSTER_NODES,
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
      useFactory: (endpoints: EndpointCache, store: EventStore, redis: RedisClient) =>
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
  ];
}
