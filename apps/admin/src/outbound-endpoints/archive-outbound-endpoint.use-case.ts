import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OutboundEndpointsRepository, type OutboundEndpointEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { toOutboundEndpointView, type OutboundEndpointView } from './outbound-endpoint.view';

/**
 * draft|active → archived (SPEC §5). Archived endpoints accept no new deliveries, so the
 * ones it still held (draft or queued) are dead-lettered with the reason; replay needs an
 * endpoint that is not archived. The admin API archives one endpoint in its own audited
 * change (`execute`); connector provisioning archives the endpoints its template dropped
 * inside its own transaction (`within`).
 */
export interface ArchivedEndpoint {
  endpoint: OutboundEndpointEntity;
  deadLetteredDeliveries: number;
}

@Injectable()
export class ArchiveOutboundEndpoint {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: OutboundEndpointsRepository,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
  ) {}

  /**
   * Archives the endpoint in the caller's transaction, dead-lettering what it held with
   * `reason`; null when there is no such endpoint or it already was archived.
   */
  async within(
    manager: EntityManager,
    tenantId: string,
    id: string,
    reason: string,
  ): Promise<ArchivedEndpoint | null> {
    const endpoints = this.endpoints.in(manager);
    const endpoint = await endpoints.archive(tenantId, id);
    if (!endpoint) return null;
    const deadLetteredDeliveries = await endpoints.deadLetterHeldDeliveries(id, reason);
    return { endpoint, deadLetteredDeliveries };
  }

  /** With `idempotent`, archiving an archived endpoint answers it instead of a 409. */
  async execute(
    tenantId: string,
    id: string,
    options: { idempotent?: boolean } = {},
  ): Promise<OutboundEndpointView> {
    requireUuid(id, 'outbound endpoint');
    const archived = await this.dataSource.transaction(async (manager) => {
      const before = await this.endpoints.in(manager).findOwned(tenantId, id, { lock: true });
      if (!before) return false;
      const result = await this.within(
        manager,
        tenantId,
        id,
        `outbound endpoint "${before.code}" was archived`,
      );
      if (!result) return false;
      await this.audit.record(manager, null, {
        action: 'outbound-endpoint.archive',
        entityType: 'outbound-endpoint',
        entityId: id,
        before: toOutboundEndpointView(before),
        after: {
          ...toOutboundEndpointView(result.endpoint),
          deadLetteredDeliveries: result.deadLetteredDeliveries,
        },
      });
      return true;
    });
    if (!archived) {
      const current = await this.current(tenantId, id);
      if (!options.idempotent) {
        throw new ConflictException({
          message: 'the endpoint is already archived',
          details: { currentState: current.state },
        });
      }
      return toOutboundEndpointView(current);
    }
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    return toOutboundEndpointView(await this.current(tenantId, id));
  }

  private async current(tenantId: string, id: string): Promise<OutboundEndpointEntity> {
    const endpoint = await this.endpoints.findOwned(tenantId, id);
    if (!endpoint) throw new NotFoundException(`outbound endpoint ${id} not found`);
    return endpoint;
  }
}
