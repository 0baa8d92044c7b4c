import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { registry } from './metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  @Get()
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description: 'Text exposition format; see docs/operations.md. No key needed.',
  })
  @ApiProduces(registry.contentType)
  @ApiOkResponse({ description: 'the metrics', schema: { type: 'string' } })
  @Header('Content-Type', registry.contentType)
  async render(): Promise<string> {
    return registry.metrics();
  }
}
