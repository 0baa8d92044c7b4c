import { Module } from '@nestjs/common';
import { RecordModelsController } from './record-models.controller';
import { RecordsController } from './records.controller';
import { RecordsService } from './records.service';

/** The records store, read-only over HTTP. */
@Module({ controllers: [RecordsController, RecordModelsController], providers: [RecordsService] })
export class RecordsModule {}
