import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { HandlerSimulatorService, type SimulationView } from './handler-simulator.service';
import { SimulateHandlerDto } from './simulate-handler.dto';

/** `POST /handlers/:id/simulate`: read-only, so an operator key may run it. */
@ApiTags('handlers')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/handlers')
export class HandlerSimulatorController {
  constructor(private readonly simulator: HandlerSimulatorService) {}

  @Post(':id/simulate')
  @HttpCode(200)
  simulate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: SimulateHandlerDto,
  ): Promise<SimulationView> {
    return this.simulator.simulate(principal.tenantId, id, dto);
  }
}
