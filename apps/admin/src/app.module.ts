import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { PlatformModule } from '@app/platform';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CapabilitiesModule } from './capabilities/capabilities.module';
import { CommonModule } from './common/common.module';
import { ErrorResponseFilter } from './common/error-response.filter';
import type { AdminConfig } from './config';
import { ConnectorsModule } from './connectors/connectors.module';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { EventsModule } from './deliveries/events.module';
import { HandlersModule } from './handlers/handlers.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { InboundEndpointsModule } from './inbound-endpoints/inbound-endpoints.module';
import { InboundEventsModule } from './inbound-events/inbound-events.module';
import { OutboundEndpointsModule } from './outbound-endpoints/outbound-endpoints.module';
import { OutboundRequestRefusalsModule } from './outbound-request-refusals/outbound-request-refusals.module';
import { QueuesModule } from './queues/queues.module';
import { RecordTriggersModule } from './record-triggers/record-triggers.module';
import { RecordsModule } from './records/records.module';
import { RetentionModule } from './retention/retention.module';
import { StatsModule } from './stats/stats.module';
import { TenantsModule } from './tenants/tenants.module';

/** Composition root of the admin API (SPEC §8): the platform, messaging and one module per feature. */
@Module({})
export class AdminModule {
  static register(options: { config: AdminConfig; dataSource: DataSource }): DynamicModule {
    const { config } = options;
    return {
      module: AdminModule,
      imports: [
        CommonModule.forRoot(config),
        AuthModule,
        CapabilitiesModule,
        IdempotencyModule,
        HandlersModule,
        InboundEndpointsModule,
        InboundEventsModule,
        OutboundEndpointsModule,
        DeliveriesModule,
        OutboundRequestRefusalsModule,
        EventsModule,
        RecordsModule,
        RecordTriggersModule,
        AuditModule,
        ApiKeysModule,
        TenantsModule,
        ConnectorsModule,
        StatsModule,
        RetentionModule,
        // After the features: the OpenAPI document lists routes in module order.
        PlatformModule.forApp({ app: 'admin', config, dataSource: options.dataSource }),
        QueuesModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorResponseFilter }],
    };
  }
}
