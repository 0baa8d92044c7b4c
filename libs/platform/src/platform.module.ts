import {
  DynamicModule,
  Global,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import type { BaseConfig } from './config/base-config';
import { HealthController } from './health/health.controller';
import { loggerOptions } from './logging/logger-options';
import { createRedisConnection, type RedisClient } from './redis-connection';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsListener } from './metrics/metrics-listener';
import { startDefaultMetrics } from './metrics/metrics';
import { APP_CONFIG, REDIS_CLIENT } from './tokens';
import { stopTracing } from './tracing/start-tracing';

/**
 * What every app has: its validated config, the Postgres DataSource (prepared and
 * migrated in main.ts before Nest starts), a Redis client for health checks, JSON logs,
 * `/health`, `/health/ready` and `/metrics` (or a separate metrics listener), and HTTP
 * request metrics for every Nest route.
 */
export interface PlatformOptions {
  app: string;
  config: BaseConfig;
  dataSource: DataSource;
  /**
   * Whether Express requests get nestjs-pino's request logging and AsyncLocalStorage
   * context (default true). The gateway and the dispatcher turn it off: see loggerOptions.
   */
  requestContext?: boolean;
  /**
   * Where `/metrics` is served: on the app's own HTTP server (default), or on a listener
   * of its own (an app whose main port is public: the gateway).
   */
  metricsListener?: { host: string; port: number };
}

@Global()
@Module({})
export class PlatformModule implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly dataSource: DataSource,
  ) {}

  static forApp(options: PlatformOptions): DynamicModule {
    startDefaultMetrics(options.app);
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot(
          loggerOptions(options.app, options.config.LOG_LEVEL, options.requestContext),
        ),
      ],
      controllers: options.metricsListener
        ? [HealthController]
        : [HealthController, MetricsController],
      providers: [
        ...(options.metricsListener
          ? [
              {
                provide: MetricsListener,
                useFactory: () =>
                  new MetricsListener(options.metricsListener!.host, options.metricsListener!.port),
              },
            ]
          : []),
        { provide: APP_CONFIG, useValue: options.config },
        { provide: DataSource, useValue: options.dataSource },
        {
          provide: REDIS_CLIENT,
          useFactory: () =>
            createRedisConnection(options.config, 'producer', { lazyConnect: false }),
        },
      ],
      exports: [APP_CONFIG, DataSource, REDIS_CLIENT],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(httpMetricsMiddleware)
      .forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    // The spans still buffered (the batch processor exports every few seconds).
    await stopTracing();
  }
}
