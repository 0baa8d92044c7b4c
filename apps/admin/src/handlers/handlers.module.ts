import { Module } from '@nestjs/common';
import { HandlerSimulatorController } from './handler-simulator.controller';
import { HandlerSimulatorService } from './handler-simulator.service';
import { HandlersController } from './handlers.controller';
import { HandlersService } from './handlers.service';
import { SaveHandler } from './save-handler.use-case';

/** Handlers and their rules, and the simulator; SaveHandler is shared with provisioning. */
@Module({
  controllers: [HandlersController, HandlerSimulatorController],
  providers: [HandlersService, HandlerSimulatorService, SaveHandler],
  exports: [HandlersService, SaveHandler],
})
export class HandlersModule {}
