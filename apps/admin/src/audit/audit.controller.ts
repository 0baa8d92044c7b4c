import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import type { Page } from '../common/pagination';
import { ListAuditQuery } from './audit.dto';
import { AuditService, type AuditEntryView } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ description: 'audit entries, newest first, with nextCursor' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAuditQuery,
  ): Promise<Page<AuditEntryView>> {
    return this.audit.list(principal.tenantId, query);
  }
}
