import { Body, Controller, Delete, Get, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { CreateHandlerDto, UpdateHandlerDto } from './handler.dto';
import { HandlersService, type HandlerView } from './handlers.service';

@ApiTags('handlers')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/handlers')
export class HandlersController {
  constructor(private readonly handlers: HandlersService) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<HandlerView[]> {
    return this.handlers.list(principal.tenantId);
  }

  @Post()
  @RequireRole('admin')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateHandlerDto,
  ): Promise<HandlerView> {
    return this.handlers.create(principal.tenantId, dto);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<HandlerView> {
    return this.handlers.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateHandlerDto,
  ): Promise<HandlerView> {
    return this.handlers.update(principal.tenantId, id, dto);
  }

  @Delete(':id')
  @RequireRole('admin')
  archive(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<HandlerView> {
    return this.handlers.archive(principal.tenantId, id);
  }
}
