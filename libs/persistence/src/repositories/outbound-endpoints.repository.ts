import {
  OutboundEndpointEntity,
  type OutboundEndpointState,
} from '../entities/outbound-endpoint.entity';
import { rowsOf } from '../query-rows';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';
import type { KeysetPosition } from './keyset';

/**
 * Outbound endpoints (SPEC §5, §11): the admin API's and connector provisioning's reads
 * and writes, and the dispatcher's read by id. An endpoint's state change carries the
 * deliveries it holds with it (activate releases them, archive dead-letters them), so
 * those two statements on `deliveries` live here, beside the change they belong to.
 */
export type OutboundEndpointValues = EntityValues<OutboundEndpointEntity>;

export class OutboundEndpointsRepository extends BaseRepository {
  private get endpoints() {
    return this.manager.getRepository(OutboundEndpointEntity);
  }

  /** A page of a tenant's endpoints, newest first (`limit + 1` rows: the caller pages). */
  list(
    tenantId: string,
    options: { state?: OutboundEndpointState; after: KeysetPosition | null; limit: number },
  ): Promise<OutboundEndpointEntity[]> {
    const query = this.endpoints
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId });
    if (options.state) query.andWhere('e.state = :state', { state: options.state });
    if (options.after) {
      // Keyset: rows strictly after the position, in (created_at, id) order, newest first.
      query.andWhere('(e.created_at, e.id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))', {
        at: options.after.at,
        id: options.after.id,
      });
    }
    return query
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(options.limit + 1)
      .getMany();
  }

  /** The endpoint of this tenant, locked until the transaction ends with `lock`; or null. */
  findOwned(
    tenantId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<OutboundEndpointEntity | null> {
    return this.endpoints.findOne({
      where: { id, tenantId },
      ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  /**
   * Deletes the previous signing secrets whose rotation window has closed, in every tenant;
   * answers how many. The dispatcher already ignores them after the expiry; this keeps a
   * retired secret from lingering in the database.
   */
  async dropExpiredPreviousSigningSecrets(): Promise<number> {
    const rows = rowsOf<{ id: string }>(
      await this.manager.query(
        `UPDATE outbound_endpoints
            SET secrets = secrets - 'previousSigningSecret',
                signing = signing - 'previousSecretExpiresAt'
          WHERE signing ? 'previousSecretExpiresAt'
            AND (signing->>'previousSecretExpiresAt')::timestamptz <= now()
        RETURNING id`,
      ),
    );
    return rows.length;
  }

  /** Any tenant's endpoint by id: the dispatcher's read. */
  findById(id: string): Promise<OutboundEndpointEntity | null> {
    return this.endpoints.findOneBy({ id });
  }

  /** The code of a tenant's endpoint named by id or code (what a rule's `forwardTo` stores). */
  async findCode(tenantId: string, ref: { id: string } | { code: string }): Promise<string | null> {
    const row = await this.endpoints.findOne({
      select: { code: true },
      where: { tenantId, ...ref },
    });
    return row?.code ?? null;
  }

  /**
   * What the rule simulator reads of an outbound endpoint: the one named (by id or code),
   * or the handler's first by code; null when there is none.
   */
  findRetryTarget(
    tenantId: string,
    ref: { id: string } | { code: string } | { handlerId: string },
  ): Promise<Pick<OutboundEndpointEntity, 'id' | 'code' | 'retryPolicy'> | null> {
    return this.endpoints.findOne({
      select: { id: true, code: true, retryPolicy: true },
      where: { tenantId, ...ref },
      ...('handlerId' in ref ? { order: { code: 'ASC' as const } } : {}),
    });
  }

  /** The endpoints a connector provisioned (linked by `connector_id`), by code. */
  findByConnector(connectorId: string): Promise<OutboundEndpointEntity[]> {
    return this.endpoints.find({ where: { connectorId }, order: { code: 'ASC' } });
  }

  /** Inserts an endpoint and answers it as stored. */
  async insert(values: OutboundEndpointValues): Promise<OutboundEndpointEntity> {
    const result = await this.endpoints.insert(writeValues(values));
    return this.endpoints.findOneByOrFail({ id: String(result.identifiers[0].id) });
  }

  /** Updates a tenant's endpoint and answers it as stored (null if there is none). */
  async update(
    tenantId: string,
    id: string,
    values: OutboundEndpointValues,
  ): Promise<OutboundEndpointEntity | null> {
    await this.endpoints.update({ id, tenantId }, writeValues(values));
    return this.findOwned(tenantId, id);
  }

  /**
   * draft → active, or active but disabled by health → active with its failure count
   * cleared; answers the endpoint as stored, or null when it was in neither state.
   */
  async activate(tenantId: string, id: string): Promise<OutboundEndpointEntity | null> {
    const result = await this.endpoints
      .createQueryBuilder()
      .update()
      .set({
        state: 'active',
        disabledAt: null,
        disabledReason: null,
        consecutiveFailures: 0,
        failingSince: null,
      })
      .where('id = :id AND tenant_id = :tenantId', { id, tenantId })
      .andWhere(`(state = 'draft' OR (state = 'active' AND disabled_at IS NOT NULL))`)
      .execute();
    return result.affected ? this.findOwned(tenantId, id) : null;
  }

  /** → archived unless it already is; answers the endpoint as stored, or null. */
  async archive(tenantId: string, id: string): Promise<OutboundEndpointEntity | null> {
    const result = await this.endpoints
      .createQueryBuilder()
      .update()
      .set({ state: 'archived' })
      .where('id = :id AND tenant_id = :tenantId', { id, tenantId })
      .andWhere(`state <> 'archived'`)
      .execute();
    return result.affected ? this.findOwned(tenantId, id) : null;
  }

  /** Queues the deliveries an endpoint held in `draft` (on activation); answers them. */
  async releaseHeldDeliveries(
    endpointId: string,
  ): Promise<Array<{ id: string; attempts: number }>> {
    return rowsOf<{ id: string; attempts: number }>(
      await this.manager.query(
        `UPDATE deliveries SET state = 'queued', next_attempt_at = now(), updated_at = now()
          WHERE endpoint_id = $1 AND state = 'draft'
          RETURNING id, attempts`,
        [endpointId],
      ),
    );
  }

  /**
   * Dead-letters the deliveries an endpoint still held (draft or queued) with `reason`:
   * an archived endpoint accepts no deliveries. Answers how many.
   */
  async deadLetterHeldDeliveries(endpointId: string, reason: string): Promise<number> {
    return rowsOf<{ id: string }>(
      await this.manager.query(
        `UPDATE deliveries
            SET state = 'dead_letter', last_error = $2, next_attempt_at = NULL, completed_at = now(), updated_at = now()
          WHERE endpoint_id = $1 AND state IN ('draft', 'queued')
          RETURNING id`,
        [endpointId, reason],
      ),
    ).length;
  }
}
