import { Module } from '@nestjs/common';
import { RecordsController } from './records.controller';

/** The records store, read-only over HTTP. */
@Module({ controllers: [RecordsController] })
export class RecordsModule {}
