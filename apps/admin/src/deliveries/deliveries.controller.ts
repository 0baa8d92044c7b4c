import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseEnumPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import type { Page } from '../common/pagination';
import { CreateDeliveryDto, ListDeliveriesQuery, ReplayDeliveriesDto } from './delivery.dto';
import {
  DeliveriesService,
  type DeliveryAction,
  type DeliveryDetail,
  type DeliverySummary,
  type DeliveryView,
} from './deliveries.service';

enum DeliveryActionParam {
  reset = 'reset',
  queue = 'queue',
  deadLetter = 'dead-letter',
  cancel = 'cancel',
}

@ApiTags('deliveries')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Post()
  @HttpCode(202)
  @RequireRole('admin')
  @ApiAcceptedResponse({ description: 'stored (an unknown or archived endpoint: as dead_letter)' })
  deliver(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateDeliveryDto,
  ): Promise<DeliveryView> {
    return this.deliveries.deliver(principal.tenantId, dto);
  }

  @Get()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListDeliveriesQuery,
  ): Promise<Page<DeliverySummary>> {
    return this.deliveries.list(principal.tenantId, query);
  }

  @Post('replay')
  @HttpCode(200)
  replay(
    @CurrentPrincipal() principal: Principal,
    @Body() filter: ReplayDeliveriesDto,
  ): Promise<{ replayed: number }> {
    return this.deliveries.replay(principal.tenantId, filter);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeliveryDetail> {
    return this.deliveries.get(principal.tenantId, id);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: DeliveryActionParam })
  act(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('action', new ParseEnumPipe(DeliveryActionParam)) action: DeliveryActionParam,
  ): Promise<DeliveryDetail> {
    return this.deliveries.act(principal.tenantId, id, action as DeliveryAction);
  }
}
