import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryIntake } from '@app/outbound';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';

/** Deliveries and their attempts; DeliveriesService is what publishing and test sends use. */
@Module({
  controllers: [DeliveriesController],
  providers: [
    DeliveriesService,
    {
      provide: DeliveryIntake,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new DeliveryIntake(ds),
    },
  ],
  exports: [DeliveriesService],
})
export class DeliveriesModule {}
