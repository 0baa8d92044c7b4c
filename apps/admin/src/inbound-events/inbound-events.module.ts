import { Module } from '@nestjs/common';
import { InboundEventsController } from './inbound-events.controller';
import { InboundEventsService } from './inbound-events.service';

/** Inbound events: listing, reading and reprocessing what the gateway received. */
@Module({
  controllers: [InboundEventsController],
  providers: [InboundEventsService],
})
export class InboundEventsModule {}
