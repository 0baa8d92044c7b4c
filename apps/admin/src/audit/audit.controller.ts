import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import { AuditEntryResponse } from './audit-entry.response';
import { ListAuditQuery } from './audit.dto';
import { AuditService, type AuditEntryView } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    operationId: 'listAuditEntries',
    summary: 'List audit entries',
    description:
      'Every configuration change and operator action: who (key), what (action, entity), ' +
      'redacted before/after. Newest first, keyset-paginated.',
  })
  @ApiPageResponse(AuditEntryResponse, 'audit entries, newest first, with nextCursor')
  @ApiErrors(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAuditQuery,
  ): Promise<Page<AuditEntryView>> {
    return this.audit.list(principal.tenantId, query);
  }
}
