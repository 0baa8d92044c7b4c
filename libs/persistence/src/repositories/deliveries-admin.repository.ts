import { rowsOf } from '../query-rows';
import { BaseRepository } from './base.repository';
import { keysetAfter, type KeysetPosition } from './keyset';

/**
 * `deliveries` and `delivery_attempts` as the admin API reads and acts on them (SPEC §5):
 * the filtered keyset list, one delivery with its attempt log, the operator transitions
 * and the batched replay. The statements moved here from the admin's DeliveriesService
 * as they were (issue 22): the list is a keyset scan (no OFFSET), a transition is one
 * conditional UPDATE that reads the old state in the same statement, and a replay
 * updates in batches of 1000 with SKIP LOCKED so it never holds one long lock over rows
 * the dispatcher needs.
 */

/** A delivery or attempt row as Postgres answers it (snake_case columns). */
export type DeliveryAdminRow = Record<string, unknown>;

/** Which deliveries a list or a replay covers; `from`/`to` are canonical timestamps. */
export interface DeliveryAdminFilter {
  state?: string;
  endpointId?: string;
  endpointCode?: string;
  eventType?: string;
  idempotencyKey?: string;
  sourceEventId?: string;
  isTest?: boolean;
  from?: string | null;
  to?: string | null;
}

export class DeliveriesAdminRepository extends BaseRepository {
  /** A page of summaries (`limit + 1` rows: the caller pages), newest first. */
  list(
    tenantId: string,
    filter: DeliveryAdminFilter,
    after: KeysetPosition | null,
    limit: number,
  ): Promise<DeliveryAdminRow[]> {
    const { where, params } = whereOf(tenantId, filter);
    const keyset = keysetAfter(after, params, { time: 'd.created_at', id: 'd.id' });
    if (keyset) where.push(keyset);
    params.push(limit + 1);
    return this.manager.query(
      `SELECT d.id, d.endpoint_id, d.endpoint_code, d.event_type, d.state, d.context, d.idempotency_key, d.is_test,
              d.source_event_id, d.attempts, d.next_attempt_at, d.last_error, d.response_status, d.created_at,
              d.updated_at, d.completed_at
         FROM deliveries d
        WHERE ${where.join(' AND ')}
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  async findOwned(tenantId: string, id: string): Promise<DeliveryAdminRow | null> {
    const rows: DeliveryAdminRow[] = await this.manager.query(
      `SELECT * FROM deliveries WHERE id = $1 AND tenant_id = $2`,
      [id, tenantId],
    );
    return rows[0] ?? null;
  }

  /** A tenant's deliveries by id (any order; unknown ids are left out). */
  findManyOwned(tenantId: string, ids: string[]): Promise<DeliveryAdminRow[]> {
    return this.manager.query(
      `SELECT * FROM deliveries WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
  }

  /** A delivery's attempt log, oldest first. */
  attempts(deliveryId: string): Promise<DeliveryAdminRow[]> {
    return this.manager.query(
      `SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
      [deliveryId],
    );
  }

  /** A delivery's first attempt (what a synchronous send answers), or null before it. */
  async firstAttempt(deliveryId: string): Promise<DeliveryAdminRow | null> {
    const rows: DeliveryAdminRow[] = await this.manager.query(
      `SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number LIMIT 1`,
      [deliveryId],
    );
    return rows[0] ?? null;
  }

  /**
   * Moves one delivery from one of `from` to `to`, an operator's action: one conditional
   * UPDATE, so two operators (or an operator and the dispatcher) racing cannot both win.
   * Answers the changed row with the state it had (read in the same statement, the old
   * row's values), or nothing when it was not in a source state.
   */
  async transition(
    tenantId: string,
    id: string,
    to: string,
    from: readonly string[],
  ): Promise<Array<{ id: string; attempts: number; state: string; previous_state: string }>> {
    return rowsOf(
      await this.manager.query(
        `UPDATE deliveries d
              SET state = $3, lease_until = NULL, updated_at = now(),
                  next_attempt_at = CASE WHEN $3 = 'queued' THEN now() END,
                  completed_at = CASE WHEN $3 IN ('dead_letter', 'canceled') THEN now() END,
                  last_error = CASE WHEN $3 = 'dead_letter' THEN 'dead-lettered by an operator'
                                    WHEN $3 = 'canceled' THEN 'canceled by an operator'
                                    ELSE d.last_error END
             FROM (SELECT id, state FROM deliveries WHERE id = $1 AND tenant_id = $2 FOR UPDATE) old
            WHERE d.id = old.id AND d.state = ANY($4)
            RETURNING d.id, d.attempts, d.state, old.state AS previous_state`,
        [id, tenantId, to, from],
      ),
    );
  }

  /** How many deliveries a replay by `filter` would send again. */
  async countReplayable(
    tenantId: string,
    filter: DeliveryAdminFilter,
    states: string[],
  ): Promise<number> {
    const { where, params } = replayable(tenantId, filter, states);
    const [row] = rowsOf<{ matched: number }>(
      await this.manager.query(
        `SELECT count(*)::int AS matched FROM deliveries d WHERE ${where.join(' AND ')}`,
        params,
      ),
    );
    return row?.matched ?? 0;
  }

  /**
   * Sends up to 1000 replayable deliveries again: `queued` when their endpoint is active,
   * `draft` (held) when it is a draft. SKIP LOCKED and the batch size keep a large replay
   * from holding one long lock over rows the dispatcher needs; an empty answer means done.
   */
  /**
   * Replays the next batch of matching deliveries, in id order after `after` (the last id
   * of the previous batch; null for the first): a replay walks the rows that matched once
   * and never comes back to a row it sent again that failed again meanwhile.
   */
  async replayBatch(
    tenantId: string,
    filter: DeliveryAdminFilter,
    states: string[],
    after: string | null,
  ): Promise<Array<{ id: string; state: string; attempts: number }>> {
    const { where, params } = replayable(tenantId, filter, states);
    if (after !== null) {
      params.push(after);
      where.push(`d.id > $${params.length}::uuid`);
    }
    return rowsOf(
      await this.manager.query(
        `UPDATE deliveries AS t
              SET state = CASE WHEN e.state = 'active' THEN 'queued' ELSE 'draft' END,
                  next_attempt_at = CASE WHEN e.state = 'active' THEN now() END,
                  lease_until = NULL, completed_at = NULL, updated_at = now()
             FROM outbound_endpoints e
            WHERE e.id = t.endpoint_id
              AND t.id IN (SELECT d.id FROM deliveries d WHERE ${where.join(' AND ')}
                            ORDER BY d.id LIMIT 1000 FOR UPDATE SKIP LOCKED)
            RETURNING t.id, t.state, t.attempts`,
        params,
      ),
    );
  }
}

/**
 * The deliveries a replay by `filter` sends again, in `states`, whose endpoint is not
 * archived or gone (they would only dead-letter again): one definition for the count and
 * the act.
 */
function replayable(
  tenantId: string,
  filter: DeliveryAdminFilter,
  states: string[],
): { where: string[]; params: unknown[] } {
  const { where, params } = whereOf(tenantId, { ...filter, state: undefined });
  params.push(states);
  where.push(`d.state = ANY($${params.length})`);
  where.push(
    `EXISTS (SELECT 1 FROM outbound_endpoints e WHERE e.id = d.endpoint_id AND e.state <> 'archived')`,
  );
  return { where, params };
}

function whereOf(
  tenantId: string,
  filter: DeliveryAdminFilter,
): { where: string[]; params: unknown[] } {
  const where = ['d.tenant_id = $1'];
  const params: unknown[] = [tenantId];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.state) add((n) => `d.state = $${n}`, filter.state);
  if (filter.endpointId !== undefined) add((n) => `d.endpoint_id = $${n}`, filter.endpointId);
  if (filter.endpointCode !== undefined) {
    add((n) => `d.endpoint_code = $${n}`, filter.endpointCode);
  }
  if (filter.eventType) add((n) => `d.event_type = $${n}`, filter.eventType);
  if (filter.idempotencyKey !== undefined) {
    add((n) => `d.idempotency_key = $${n}`, filter.idempotencyKey);
  }
  if (filter.sourceEventId) add((n) => `d.source_event_id = $${n}`, filter.sourceEventId);
  if (filter.isTest !== undefined) add((n) => `d.is_test = $${n}`, filter.isTest);
  if (filter.from !== undefined) add((n) => `d.created_at >= $${n}`, filter.from);
  if (filter.to !== undefined) add((n) => `d.created_at < $${n}`, filter.to);
  return { where, params };
}
