import { Module } from '@nestjs/common';
import { OutboundRequestRefusalsController } from './outbound-request-refusals.controller';
import { OutboundRequestRefusalsService } from './outbound-request-refusals.service';

/** Publish requests the intake refused, and why. */
@Module({
  controllers: [OutboundRequestRefusalsController],
  providers: [OutboundRequestRefusalsService],
})
export class OutboundRequestRefusalsModule {}
