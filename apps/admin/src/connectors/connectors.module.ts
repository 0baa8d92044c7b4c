import { Module } from '@nestjs/common';
import { HandlersModule } from '../handlers/handlers.module';
import { OutboundEndpointsModule } from '../outbound-endpoints/outbound-endpoints.module';
import { ConnectorsController } from './connectors.controller';
import { ConnectorsService } from './connectors.service';
import { LinkConnectorEndpoint } from './link-connector-endpoint.use-case';
import { ProvisionConnector } from './provision-connector.use-case';
import { ProvisionEndpoints } from './provision-endpoints';

/** Connectors and provisioning them from their kind's template. */
@Module({
  imports: [HandlersModule, OutboundEndpointsModule],
  controllers: [ConnectorsController],
  providers: [ConnectorsService, ProvisionConnector, ProvisionEndpoints, LinkConnectorEndpoint],
})
export class ConnectorsModule {}
