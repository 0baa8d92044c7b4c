import { InboundEndpointEntity } from '../entities/inbound-endpoint.entity';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';

/** Inbound endpoints (SPEC §4): the admin API's and connector provisioning's reads and writes. */
export type InboundEndpointValues = EntityValues<InboundEndpointEntity>;

export class InboundEndpointsRepository extends BaseRepository {
  private get endpoints() {
    return this.manager.getRepository(InboundEndpointEntity);
  }

  listByTenant(tenantId: string): Promise<InboundEndpointEntity[]> {
    return this.endpoints.find({ where: { tenantId }, order: { path: 'ASC' } });
  }

  /** The endpoint of this tenant, locked until the transaction ends with `lock`; or null. */
  findOwned(
    tenantId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<InboundEndpointEntity | null> {
    return this.endpoints.findOne({
      where: { id, tenantId },
      ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  /** The path of the handler's first endpoint (by path), or null: the simulator's default. */
  async firstPathOfHandler(tenantId: string, handlerId: string): Promise<string | null> {
    const row = await this.endpoints.findOne({
      select: { path: true },
      where: { tenantId, handlerId },
      order: { path: 'ASC' },
    });
    return row?.path ?? null;
  }

  /** The endpoints a connector provisioned (one at most: a kind has one inbound template). */
  findByConnector(connectorId: string): Promise<InboundEndpointEntity[]> {
    return this.endpoints.findBy({ connectorId });
  }

  /** Inserts an endpoint and answers it as stored. */
  async insert(values: InboundEndpointValues): Promise<InboundEndpointEntity> {
    const result = await this.endpoints.insert(writeValues(values));
    return this.endpoints.findOneByOrFail({ id: String(result.identifiers[0].id) });
  }

  /** Updates an endpoint by id and answers it as stored. */
  async update(id: string, values: InboundEndpointValues): Promise<InboundEndpointEntity> {
    await this.endpoints.update({ id }, writeValues(values));
    return this.endpoints.findOneByOrFail({ id });
  }
}
