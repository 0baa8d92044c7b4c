import { Module } from '@nestjs/common';
import { RecordsController } from './records.controller';
import { RecordsService } from './records.service';

/** The records store, read-only over HTTP. */
@Module({ controllers: [RecordsController], providers: [RecordsService] })
export class RecordsModule {}
