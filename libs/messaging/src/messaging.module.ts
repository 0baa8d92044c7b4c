import { BullModule, getQueueToken } from '@nestjs/bullmq';
import {
  DynamicModule,
  Logger,
  Module,
  type InjectionToken,
  type OnApplicationShutdown,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import {
  closeQueueConnection,
  queueConnection,
  queueMetricsProvider,
  type RedisExtraOptions,
  type RedisTarget,
} from '@app/platform';
import { ConfigChangeListener, type ConfigChangeRoutes } from './config-change-listener';
import { DEFAULT_JOB_OPTIONS, QueueName } from './queues';
import { LeaseReconciler, type LeaseStore } from './leased-work/lease-reconciler';
import {
  leasedItemProcessor,
  LeasedItemProcessor,
  type LeasedItemHandler,
} from './leased-work/leased-item-processor';
import { DeliveryQueue, InboundEventQueue, type LeasedQueue } from './leased-work/leased-queue';
import { describeEnqueueFailure } from './leased-work/leased-work';

/** The Redis settings every app's validated config carries. */
export interface RedisSettings extends RedisTarget {
  QUEUE_PREFIX: string;
}

/**
 * The queues' shared Redis Cluster client, when there is one (`queueConnection`): BullMQ
 * leaves a client it was given open, so the app closes it at shutdown, when BullMQ
 * closes the queues (their pending commands go first: QUIT queues behind them).
 */
class QueueConnectionOwner implements OnApplicationShutdown {
  constructor(private readonly connection: object) {}

  async onApplicationShutdown(): Promise<void> {
    await closeQueueConnection(this.connection);
  }
}

/** The LeasedQueue bound for each queue of leased work an app registers. */
const LEASED_QUEUES: Partial<Record<QueueName, Type<LeasedQueue>>> = {
  [QueueName.InboundEvents]: InboundEventQueue,
  [QueueName.OutboundDeliveries]: DeliveryQueue,
};

/**
 * An app's BullMQ wiring, bound once: the connection and prefix, its queues with the
 * house job options, a LeasedQueue (InboundEventQueue, DeliveryQueue) for each queue of
 * leased work among them, and the depth and lag readings of the queues it consumes.
 * The app module adds its own workers with {@link leasedWorker} and its cache
 * invalidation with {@link configChangeListener}.
 */
@Module({})
export class MessagingModule {
  static forApp(options: {
    config: RedisSettings;
    /** Queues whose jobs this app runs (their depth and lag go to /metrics). */
    consumes: QueueName[];
    /** Queues this app only adds jobs to. */
    produces?: QueueName[];
    /** ioredis options over BullMQ's (an app that must fail fast instead of waiting). */
    connection?: RedisExtraOptions;
  }): DynamicModule {
    const { config, consumes, produces = [] } = options;
    const connection = queueConnection(config, options.connection);
    const names = [...consumes, ...produces];
    const queues = BullModule.registerQueue(
      ...names.map((name) => ({ name, defaultJobOptions: DEFAULT_JOB_OPTIONS })),
    );
    const leasedQueues = names.flatMap((name): Provider[] => {
      const leased = LEASED_QUEUES[name];
      if (!leased) return [];
      return [
        {
          provide: leased,
          inject: [getQueueToken(name)],
          useFactory: (queue: Queue) => {
            const logger = new Logger(leased.name);
            const bound: LeasedQueue = new leased(queue, (error: unknown) =>
              logger.warn(describeEnqueueFailure(bound.work, error)),
            );
            return bound;
          },
        },
      ];
    });
    return {
      module: MessagingModule,
      imports: [BullModule.forRoot({ connection, prefix: config.QUEUE_PREFIX }), queues],
      providers: [
        { provide: QueueConnectionOwner, useValue: new QueueConnectionOwner(connection) },
        ...leasedQueues,
        ...(consumes.length > 0 ? [queueMetricsProvider(...consumes)] : []),
      ],
      exports: [queues, ...leasedQueues.map((p) => (p as { provide: InjectionToken }).provide)],
    };
  }
}

/**
 * The worker and the lease reconciler of one kind of leased work, as app-module
 * providers: `queue` is the LeasedQueue MessagingModule binds for it, `handler` the use
 * case that runs one item, `leases` the direction's LeaseStore (its SQL).
 */
export function leasedWorker(options: {
  queue: Type<LeasedQueue>;
  handler: InjectionToken<LeasedItemHandler>;
  leases: InjectionToken<LeaseStore>;
  concurrency: number;
  reconcileIntervalSeconds: number;
}): Provider[] {
  return [
    {
      provide: LeasedItemProcessor,
      inject: [options.queue, options.handler],
      useFactory: (queue: LeasedQueue, handler: LeasedItemHandler) =>
        leasedItemProcessor(queue.work, handler, options.concurrency),
    },
    {
      provide: LeaseReconciler,
      inject: [options.queue, options.leases],
      useFactory: (queue: LeasedQueue, leases: LeaseStore) =>
        new LeaseReconciler(queue, leases, options.reconcileIntervalSeconds),
    },
  ];
}

/** A ConfigChangeListener whose routes are built from the app's caches (`inject`). */
export function configChangeListener<Deps extends unknown[]>(
  config: RedisSettings,
  inject: InjectionToken[],
  routes: (...caches: Deps) => ConfigChangeRoutes,
): Provider {
  return {
    provide: ConfigChangeListener,
    inject,
    useFactory: (...caches: Deps) => new ConfigChangeListener(config, routes(...caches)),
  };
}
