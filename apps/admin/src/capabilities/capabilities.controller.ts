import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { describeCapabilities, type Capabilities } from '@app/core';
import { AllowPublisher, ApiKeyGuard } from '../auth/api-key.guard';
import { ApiErrors } from '../common/openapi';
import { CapabilitiesResponse } from './capabilities.response';

/**
 * `/capabilities`: what this build can do (presets, signature and identity vocabularies,
 * the rule language per direction), as core describes it. The console builds its choices
 * from it, so a preset or a rule action added in core appears there with no console edit.
 * The same for every tenant and key; computed once.
 */
@ApiTags('capabilities')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/capabilities')
export class CapabilitiesController {
  private readonly capabilities: Capabilities = describeCapabilities();

  @Get()
  @AllowPublisher()
  @ApiOperation({
    operationId: 'getCapabilities',
    summary: 'Describe what this build can do',
    description:
      'The provider presets, the signature, freshness and identity vocabularies, the ' +
      'handshakes, outbound methods and body modes, and per direction the rule actions ' +
      '(with the fields each takes), condition operators and sources, and value sources. ' +
      'Read-only and the same for every key; any live key may call it.',
  })
  @ApiOkResponse({ type: CapabilitiesResponse, description: 'the capabilities' })
  get(): Capabilities {
    return this.capabilities;
  }
}
