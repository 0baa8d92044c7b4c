import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryIntake } from '@app/outbound';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliverAndWait } from './deliver-and-wait.use-case';
import { DeliveryWaiters } from './delivery-waiters';

/**
 * Deliveries and their attempts; DeliveriesService is what publishing and test sends use,
 * DeliverAndWait the synchronous send over it.
 */
@Module({
  controllers: [DeliveriesController],
  providers: [
    DeliveriesService,
    DeliverAndWait,
    DeliveryWaiters,
    {
      provide: DeliveryIntake,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new DeliveryIntake(ds),
    },
  ],
  exports: [DeliveriesService],
})
export class DeliveriesModule {}
