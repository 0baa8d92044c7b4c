import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { HandlerSimulatorService, type SimulationView } from './handler-simulator.service';
import { SimulateHandlerDto } from './simulate-handler.dto';
import { SimulationResponse } from './simulation.response';

/** `POST /handlers/:id/simulate`: read-only, so an operator key may run it. */
@ApiTags('handlers')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/handlers')
export class HandlerSimulatorController {
  constructor(private readonly simulator: HandlerSimulatorService) {}

  @Post(':id/simulate')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'simulateHandler',
    summary: 'Simulate a handler’s rules',
    description:
      'Runs the handler’s rules on the described event (inbound: payload, headers, query, ' +
      'semantic, event) or delivery (outbound: payload, context, endpoint, delivery) with no ' +
      'side effects, and answers the execution log the worker would record. Rules only: a ' +
      'callback handler answers 400.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'the handler' })
  @ApiOkResponse({ type: SimulationResponse, description: 'the simulated run' })
  @ApiErrors(400, 404)
  simulate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: SimulateHandlerDto,
  ): Promise<SimulationView> {
    return this.simulator.simulate(principal.tenantId, id, dto);
  }
}
