import { Module } from '@nestjs/common';
import { DeliveriesModule } from './deliveries.module';
import { EventsController } from './events.controller';

/** Publishing an event to the outbound endpoints subscribed to its type. */
@Module({ imports: [DeliveriesModule], controllers: [EventsController] })
export class EventsModule {}
