import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { HandlersModule } from '../handlers/handlers.module';
import { ActivateOutboundEndpoint } from './activate-outbound-endpoint.use-case';
import { ArchiveOutboundEndpoint } from './archive-outbound-endpoint.use-case';
import { OutboundEndpointSecrets } from './outbound-endpoint-secrets';
import { OutboundEndpointsController } from './outbound-endpoints.controller';
import { OutboundEndpointsService } from './outbound-endpoints.service';
import { RotateOutboundSigningSecret } from './rotate-outbound-signing-secret.use-case';

/** Outbound endpoints; ArchiveOutboundEndpoint is shared with provisioning. */
@Module({
  imports: [DeliveriesModule, HandlersModule],
  controllers: [OutboundEndpointsController],
  providers: [
    OutboundEndpointsService,
    OutboundEndpointSecrets,
    ActivateOutboundEndpoint,
    ArchiveOutboundEndpoint,
    RotateOutboundSigningSecret,
  ],
  exports: [ArchiveOutboundEndpoint],
})
export class OutboundEndpointsModule {}
