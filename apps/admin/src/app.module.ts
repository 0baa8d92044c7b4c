import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { DEFAULT_JOB_OPTIONS, QueueName } from '@app/messaging';
import { buildHandlerRegistry } from '@app/callbacks';
import { HANDLER_REGISTRY, PlatformModule, SECRET_BOX, createSecretBox } from '@app/platform';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ConfigChangePublisher } from './common/config-change.publisher';
import { ErrorResponseFilter } from './common/error-response.filter';
import type { AdminConfig } from './config';
import { HandlersController } from './handlers/handlers.controller';
import { HandlersService } from './handlers/handlers.service';
import { InboundEndpointsController } from './inbound-endpoints/inbound-endpoints.controller';
import { InboundEndpointsService } from './inbound-endpoints/inbound-endpoints.service';
import { InboundEventsController } from './inbound-events/inbound-events.controller';
import { InboundEventsService } from './inbound-events/inbound-events.service';
import { RecordsController } from './records/records.controller';

/** Composition root of the admin API (SPEC §8). */
@Module({})
export class AdminModule {
  static register(options: { config: AdminConfig; dataSource: DataSource }): DynamicModule {
    const { config } = options;
    return {
      module: AdminModule,
      imports: [
        PlatformModule.forApp({ app: 'admin', config, dataSource: options.dataSource }),
        BullModule.forRoot({
          // Admin actions enqueue best effort; the reconcilers cover a Redis outage.
          connection: { url: config.REDIS_URL, maxRetriesPerRequest: 1, enableOfflineQueue: false },
          prefix: config.QUEUE_PREFIX,
        }),
        BullModule.registerQueue({
          name: QueueName.InboundEvents,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
      ],
      controllers: [
        HandlersController,
        InboundEndpointsController,
        InboundEventsController,
        RecordsController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorResponseFilter },
        { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
        { provide: HANDLER_REGISTRY, useFactory: buildHandlerRegistry },
        ApiKeyGuard,
        ConfigChangePublisher,
        HandlersService,
        InboundEndpointsService,
        InboundEventsService,
      ],
    };
  }
}
