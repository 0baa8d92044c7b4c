import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboundEndpointsRepository, type OutboundEndpointEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { DeliveriesService } from '../deliveries/deliveries.service';
import { toOutboundEndpointView, type OutboundEndpointView } from './outbound-endpoint.view';

/**
 * draft → active, or re-enables an active endpoint that health checks disabled (SPEC §11).
 * The deliveries it held in `draft` are queued in the same transaction, audited with the
 * change, then enqueued once it has committed.
 */
@Injectable()
export class ActivateOutboundEndpoint {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: OutboundEndpointsRepository,
    private readonly deliveries: DeliveriesService,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
  ) {}

  async execute(tenantId: string, id: string): Promise<OutboundEndpointView> {
    requireUuid(id, 'outbound endpoint');
    const released = await this.dataSource.transaction(async (manager) => {
      const endpoints = this.endpoints.in(manager);
      const before = await endpoints.findOwned(tenantId, id, { lock: true });
      const updated = before && (await endpoints.activate(tenantId, id));
      if (!before || !updated) return null;
      const deliveries = await endpoints.releaseHeldDeliveries(id);
      await this.audit.record(manager, null, {
        action: 'outbound-endpoint.activate',
        entityType: 'outbound-endpoint',
        entityId: id,
        before: toOutboundEndpointView(before),
        after: { ...toOutboundEndpointView(updated), releasedDeliveries: deliveries.length },
      });
      return deliveries;
    });
    if (released === null) {
      const current = await this.current(tenantId, id);
      throw new ConflictException({
        message:
          current.state === 'archived'
            ? 'an archived endpoint cannot be activated'
            : 'the endpoint is already active',
        details: { currentState: current.state },
      });
    }
    // Announced before the jobs exist, so dispatchers drop the cached draft state first.
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    await this.deliveries.enqueue(released);
    return toOutboundEndpointView(await this.current(tenantId, id));
  }

  private async current(tenantId: string, id: string): Promise<OutboundEndpointEntity> {
    const endpoint = await this.endpoints.findOwned(tenantId, id);
    if (!endpoint) throw new NotFoundException(`outbound endpoint ${id} not found`);
    return endpoint;
  }
}
