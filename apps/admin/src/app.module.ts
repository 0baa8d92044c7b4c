import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { MessagingModule, QueueName } from '@app/messaging';
import { buildHandlerRegistry } from '@app/callbacks';
import { buildConnectorKinds, CONNECTOR_KINDS, type ConnectorKindRegistry } from '@app/connectors';
import { DeliveryIntake } from '@app/outbound';
import { createSecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, PlatformModule, SECRET_BOX } from '@app/platform';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import { MeController } from './auth/me.controller';
import { RequestContextInterceptor } from './auth/request-context';
import { ConfigChangePublisher } from './common/config-change.publisher';
import { ErrorResponseFilter } from './common/error-response.filter';
import { ConnectorsController } from './connectors/connectors.controller';
import { ConnectorsService } from './connectors/connectors.service';
import { ProvisionConnector } from './connectors/provision-connector.use-case';
import type { AdminConfig } from './config';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveriesService } from './deliveries/deliveries.service';
import { EventsController } from './deliveries/events.controller';
import { HandlerSimulatorController } from './handlers/handler-simulator.controller';
import { HandlerSimulatorService } from './handlers/handler-simulator.service';
import { HandlersController } from './handlers/handlers.controller';
import { HandlersService } from './handlers/handlers.service';
import { IdempotencyPurgeJob } from './idempotency/idempotency-purge.job';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { InboundEndpointsController } from './inbound-endpoints/inbound-endpoints.controller';
import { InboundEndpointsService } from './inbound-endpoints/inbound-endpoints.service';
import { InboundEventsController } from './inbound-events/inbound-events.controller';
import { InboundEventsService } from './inbound-events/inbound-events.service';
import { OutboundEndpointsController } from './outbound-endpoints/outbound-endpoints.controller';
import { OutboundEndpointsService } from './outbound-endpoints/outbound-endpoints.service';
import { OutboundRequestRefusalsController } from './outbound-request-refusals/outbound-request-refusals.controller';
import { OutboundRequestRefusalsService } from './outbound-request-refusals/outbound-request-refusals.service';
import { QueueBoardModule } from './queues/queue-board.module';
import { RecordModelsController } from './records/record-models.controller';
import { RecordsController } from './records/records.controller';
import { TenantController, TenantsController } from './tenants/tenants.controller';
import { TenantsService } from './tenants/tenants.service';
import { RetentionJob } from './retention/retention.job';
import { StatsController } from './stats/stats.controller';
import { StatsRollupJob } from './stats/stats-rollup.job';
import { StatsService } from './stats/stats.service';

/** Composition root of the admin API (SPEC §8). */
@Module({})
export class AdminModule {
  static register(options: { config: AdminConfig; dataSource: DataSource }): DynamicModule {
    const { config } = options;
    return {
      module: AdminModule,
      imports: [
        PlatformModule.forApp({ app: 'admin', config, dataSource: options.dataSource }),
        MessagingModule.forApp({
          config,
          consumes: [],
          // OutboundRequests only for the queue UI: the admin app publishes nothing to it.
          produces: [
            QueueName.InboundEvents,
            QueueName.OutboundDeliveries,
            QueueName.OutboundRequests,
          ],
          // Admin actions enqueue best effort; the reconcilers cover a Redis outage.
          connection: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
        }),
        QueueBoardModule,
      ],
      controllers: [
        MeController,
        HandlersController,
        HandlerSimulatorController,
        InboundEndpointsController,
        InboundEventsController,
        OutboundEndpointsController,
        DeliveriesController,
        OutboundRequestRefusalsController,
        EventsController,
        RecordsController,
        RecordModelsController,
        AuditController,
        ApiKeysController,
        TenantsController,
        TenantController,
        ConnectorsController,
        StatsController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorResponseFilter },
        { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor },
        { provide: SECRET_BOX, useFactory: () => createSecretBox(config) },
        { provide: CONNECTOR_KINDS, useFactory: buildConnectorKinds },
        {
          provide: HANDLER_REGISTRY,
          inject: [CONNECTOR_KINDS],
          useFactory: (kinds: ConnectorKindRegistry) => buildHandlerRegistry({ kinds }),
        },
        {
          provide: DeliveryIntake,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new DeliveryIntake(ds),
        },
        ApiKeyGuard,
        AuditService,
        ApiKeysService,
        TenantsService,
        ConfigChangePublisher,
        HandlersService,
        InboundEndpointsService,
        InboundEventsService,
        OutboundEndpointsService,
        DeliveriesService,
        OutboundRequestRefusalsService,
        ConnectorsService,
        ProvisionConnector,
        StatsService,
        StatsRollupJob,
        HandlerSimulatorService,
        RetentionJob,
        IdempotencyStore,
        IdempotencyInterceptor,
        IdempotencyPurgeJob,
      ],
    };
  }
}
