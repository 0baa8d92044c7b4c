import { Module } from '@nestjs/common';
import { RecordTriggersController } from './record-triggers.controller';
import { RecordTriggersService } from './record-triggers.service';

/** Record-change triggers (webhooks on records-store changes), configured over HTTP. */
@Module({ controllers: [RecordTriggersController], providers: [RecordTriggersService] })
export class RecordTriggersModule {}
