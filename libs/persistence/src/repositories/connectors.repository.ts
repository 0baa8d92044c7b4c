import { ConnectorEntity } from '../entities/connector.entity';
import { InboundEndpointEntity } from '../entities/inbound-endpoint.entity';
import { OutboundEndpointEntity } from '../entities/outbound-endpoint.entity';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';

/** Connectors (SPEC §7): the admin API's reads and writes, provisioning's lock, the workers' read. */
export type ConnectorValues = EntityValues<ConnectorEntity>;

export class ConnectorsRepository extends BaseRepository {
  private get connectors() {
    return this.manager.getRepository(ConnectorEntity);
  }

  listByTenant(tenantId: string): Promise<ConnectorEntity[]> {
    return this.connectors.find({ where: { tenantId }, order: { code: 'ASC' } });
  }

  /** The connector of this tenant, locked until the transaction ends with `lock`; or null. */
  findOwned(
    tenantId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<ConnectorEntity | null> {
    return this.connectors.findOne({
      where: { id, tenantId },
      ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  /** Any tenant's connector by id: the workers' read. */
  findById(id: string): Promise<ConnectorEntity | null> {
    return this.connectors.findOneBy({ id });
  }

  /** Inserts a connector (its id chosen by the caller: the technical prefix may use it). */
  async insert(values: ConnectorValues & { id: string }): Promise<ConnectorEntity> {
    await this.connectors.insert(writeValues<ConnectorEntity>(values));
    return this.connectors.findOneByOrFail({ id: values.id });
  }

  async update(tenantId: string, id: string, values: ConnectorValues): Promise<ConnectorEntity> {
    await this.connectors.update({ id, tenantId }, writeValues(values));
    return this.connectors.findOneByOrFail({ id, tenantId });
  }

  /** Whether any endpoint is linked to the connector (its codes are built from its prefix). */
  async hasLinkedEndpoints(id: string): Promise<boolean> {
    const [inbound, outbound] = await Promise.all([
      this.manager.getRepository(InboundEndpointEntity).existsBy({ connectorId: id }),
      this.manager.getRepository(OutboundEndpointEntity).existsBy({ connectorId: id }),
    ]);
    return inbound || outbound;
  }
}
