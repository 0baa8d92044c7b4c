import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CONNECTOR_KINDS, type ConnectorKindRegistry } from '@app/connectors';
import {
  ConnectorsRepository,
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
  type ConnectorEntity,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import { validationFailure } from '../common/validation';
import type { EndpointKind, LinkEndpointDto } from './connector-link.dto';

/**
 * Linking an existing endpoint to a connector by hand (the seeds' "Linking an Endpoint to a
 * Backend"), the alternative to provisioning creating it. A linked endpoint is one of the
 * connector's template slots: the suffix must be one its kind declares for that direction
 * (so a later provisioning refreshes it in place instead of archiving it as stale), and its
 * code (outbound) or path (inbound) becomes `<technicalPrefix>-<suffix>`, the naming every
 * linked endpoint follows. Unlinking clears the link and keeps the code.
 *
 * Both run in one transaction under the connector's row lock (provisioning's lock, so the
 * two never interleave), audited in it; another tenant's connector or endpoint is a 404
 * and nothing is written.
 */
export interface LinkChange {
  endpointKind: EndpointKind;
  endpointId: string;
  /** The endpoint's code (outbound) or path (inbound) after the change. */
  code: string;
}

@Injectable()
export class LinkConnectorEndpoint {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connectors: ConnectorsRepository,
    private readonly inboundEndpoints: InboundEndpointsRepository,
    private readonly outboundEndpoints: OutboundEndpointsRepository,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(CONNECTOR_KINDS) private readonly kinds: ConnectorKindRegistry,
  ) {}

  async link(tenantId: string, connectorId: string, dto: LinkEndpointDto): Promise<LinkChange> {
    requireUuid(connectorId, 'connector');
    const change = await this.dataSource.transaction(async (manager) => {
      const connector = await this.lockConnector(manager, tenantId, connectorId);
      const suffix = this.suffixFor(connector, dto);
      const code = `${connector.technicalPrefix}-${suffix}`;
      const before = await this.endpointOf(manager, tenantId, dto.endpointKind, dto.endpointId);
      if (before.connectorId && before.connectorId !== connector.id) {
        throw new ConflictException({
          message: 'the endpoint is linked to another connector: unlink it there first',
          details: { connectorId: before.connectorId },
        });
      }
      if (before.connectorId === connector.id && before.codeSuffix === suffix) {
        return { endpointKind: dto.endpointKind, endpointId: before.id, code: before.code };
      }
      if (before.connectorId === connector.id) {
        throw new ConflictException({
          message: `the endpoint is already linked to this connector as "${before.codeSuffix}"`,
          details: { codeSuffix: before.codeSuffix },
        });
      }
      const taken = await this.slotHolder(manager, connector.id, dto.endpointKind, suffix);
      if (taken) {
        throw new ConflictException({
          message: `the connector already has ${dto.endpointKind} endpoint ${taken.id} linked${dto.endpointKind === 'outbound' ? ` as "${suffix}"` : ''}`,
          details: { endpointId: taken.id },
        });
      }
      await conflictOnDuplicate(
        () =>
          this.write(manager, tenantId, dto.endpointKind, before.id, connector.id, suffix, code),
        `an ${dto.endpointKind} endpoint with ${dto.endpointKind === 'inbound' ? 'path' : 'code'} "${code}" already exists`,
      );
      await this.audit.record(manager, null, {
        action: 'connector.link',
        entityType: 'connector',
        entityId: connector.id,
        before: { endpointKind: dto.endpointKind, endpointId: before.id, code: before.code },
        after: { endpointKind: dto.endpointKind, endpointId: before.id, code, codeSuffix: suffix },
      });
      return { endpointKind: dto.endpointKind, endpointId: before.id, code };
    });
    await this.announce(connectorId, change);
    return change;
  }

  async unlink(
    tenantId: string,
    connectorId: string,
    endpointKind: EndpointKind,
    endpointId: string,
  ): Promise<LinkChange> {
    requireUuid(connectorId, 'connector');
    const change = await this.dataSource.transaction(async (manager) => {
      const connector = await this.lockConnector(manager, tenantId, connectorId);
      const endpoint = await this.endpointOf(manager, tenantId, endpointKind, endpointId);
      if (endpoint.connectorId !== connector.id) {
        throw new NotFoundException(
          `${endpointKind} endpoint ${endpointId} is not linked to connector ${connectorId}`,
        );
      }
      await this.write(manager, tenantId, endpointKind, endpoint.id, null, null, endpoint.code);
      await this.audit.record(manager, null, {
        action: 'connector.unlink',
        entityType: 'connector',
        entityId: connector.id,
        before: {
          endpointKind,
          endpointId: endpoint.id,
          code: endpoint.code,
          codeSuffix: endpoint.codeSuffix,
        },
        after: { endpointKind, endpointId: endpoint.id, code: endpoint.code },
      });
      return { endpointKind, endpointId: endpoint.id, code: endpoint.code };
    });
    await this.announce(connectorId, change);
    return change;
  }

  private async lockConnector(
    manager: EntityManager,
    tenantId: string,
    id: string,
  ): Promise<ConnectorEntity> {
    const row = await this.connectors.in(manager).findOwned(tenantId, id, { lock: true });
    if (!row) throw new NotFoundException(`connector ${id} not found`);
    return row;
  }

  /** The suffix the link takes: one the kind's template declares for that direction. */
  private suffixFor(connector: ConnectorEntity, dto: LinkEndpointDto): string {
    const template = this.kinds.has(connector.kind) ? this.kinds.get(connector.kind).template : {};
    const declared =
      dto.endpointKind === 'inbound'
        ? template.inbound
          ? [template.inbound.suffix]
          : []
        : (template.outbound ?? []).map((t) => t.suffix);
    if (declared.length === 0) {
      throw validationFailure([
        {
          field: 'endpointKind',
          problems: [
            `connector kind "${connector.kind}" declares no ${dto.endpointKind} endpoint to link`,
          ],
        },
      ]);
    }
    const suffix = dto.codeSuffix ?? (declared.length === 1 ? declared[0] : undefined);
    if (suffix === undefined || !declared.includes(suffix)) {
      throw validationFailure([
        {
          field: 'codeSuffix',
          problems: [
            suffix === undefined
              ? `codeSuffix is required: kind "${connector.kind}" declares ${declared.join(', ')}`
              : `kind "${connector.kind}" declares no ${dto.endpointKind} endpoint "${suffix}" (declared: ${declared.join(', ')})`,
          ],
        },
      ]);
    }
    return suffix;
  }

  /** The tenant's endpoint of that kind (locked), as a common shape; 404 otherwise. */
  private async endpointOf(
    manager: EntityManager,
    tenantId: string,
    kind: EndpointKind,
    id: string,
  ): Promise<{ id: string; code: string; connectorId: string | null; codeSuffix: string | null }> {
    requireUuid(id, `${kind} endpoint`);
    if (kind === 'inbound') {
      const row = await this.inboundEndpoints.in(manager).findOwned(tenantId, id, { lock: true });
      if (!row) throw new NotFoundException(`inbound endpoint ${id} not found`);
      return {
        id: row.id,
        code: row.path,
        connectorId: row.connectorId ?? null,
        codeSuffix: row.codeSuffix ?? null,
      };
    }
    const row = await this.outboundEndpoints.in(manager).findOwned(tenantId, id, { lock: true });
    if (!row) throw new NotFoundException(`outbound endpoint ${id} not found`);
    if (row.state === 'archived') {
      throw new ConflictException('an archived outbound endpoint cannot be linked');
    }
    return {
      id: row.id,
      code: row.code,
      connectorId: row.connectorId ?? null,
      codeSuffix: row.codeSuffix ?? null,
    };
  }

  /** The endpoint already in that slot of the connector (inbound: its one endpoint). */
  private async slotHolder(
    manager: EntityManager,
    connectorId: string,
    kind: EndpointKind,
    suffix: string,
  ): Promise<{ id: string } | undefined> {
    if (kind === 'inbound') {
      return (await this.inboundEndpoints.in(manager).findByConnector(connectorId))[0];
    }
    const linked = await this.outboundEndpoints.in(manager).findByConnector(connectorId);
    return linked.find((e) => e.codeSuffix === suffix);
  }

  private async write(
    manager: EntityManager,
    tenantId: string,
    kind: EndpointKind,
    id: string,
    connectorId: string | null,
    codeSuffix: string | null,
    code: string,
  ): Promise<void> {
    if (kind === 'inbound') {
      await this.inboundEndpoints.in(manager).update(id, { connectorId, codeSuffix, path: code });
    } else {
      await this.outboundEndpoints
        .in(manager)
        .update(tenantId, id, { connectorId, codeSuffix, code });
    }
  }

  /** Caches that resolve codes, paths and "connector X, suffix Y" drop what they held. */
  private async announce(connectorId: string, change: LinkChange): Promise<void> {
    await this.changes.announce({ entity: 'connector', id: connectorId });
    await this.changes.announce({
      entity: change.endpointKind === 'inbound' ? 'inbound-endpoint' : 'outbound-endpoint',
      id: change.endpointId,
    });
  }
}
