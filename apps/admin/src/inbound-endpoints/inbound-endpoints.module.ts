import { Module } from '@nestjs/common';
import { HandlersModule } from '../handlers/handlers.module';
import { InboundEndpointSecrets } from './inbound-endpoint-secrets';
import { InboundEndpointsController } from './inbound-endpoints.controller';
import { InboundEndpointsService } from './inbound-endpoints.service';

/** Inbound endpoints: the gateway's public paths and how each verifies what it receives. */
@Module({
  imports: [HandlersModule],
  controllers: [InboundEndpointsController],
  providers: [InboundEndpointsService, InboundEndpointSecrets],
})
export class InboundEndpointsModule {}
