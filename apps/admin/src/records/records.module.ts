import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryIntake, RecordChangePublisher } from '@app/outbound';
import { RecordModelsController } from './record-models.controller';
import { RecordsController } from './records.controller';
import { RecordsService } from './records.service';

/** The records store over HTTP: reads, and writes that fire the record-change triggers. */
@Module({
  controllers: [RecordsController, RecordModelsController],
  providers: [
    RecordsService,
    {
      provide: RecordChangePublisher,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new RecordChangePublisher(new DeliveryIntake(ds)),
    },
  ],
})
export class RecordsModule {}
