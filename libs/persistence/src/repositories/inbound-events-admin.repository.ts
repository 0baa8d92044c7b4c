import { rowsOf } from '../query-rows';
import { BaseRepository } from './base.repository';
import { keysetAfter, type KeysetPosition } from './keyset';

/**
 * `inbound_events` as the admin API reads and acts on them (SPEC §4 states): the filtered
 * keyset list with its search, one event, the operator transitions and the batched
 * reprocess. The statements moved here from the admin's InboundEventsService as they were
 * (issue 22): the list is a keyset scan (no OFFSET), the search is written as index
 * probes (see {@link searchSql}), a transition is one conditional UPDATE that reads the
 * old state in the same statement, and a reprocess updates in batches of 1000 with SKIP
 * LOCKED so it never holds one long lock over hot rows.
 */

/** An inbound event row as Postgres answers it (snake_case columns). */
export type InboundEventAdminRow = Record<string, unknown>;

/**
 * Which events a list or a reprocess covers; `from`/`to` are canonical timestamps, `q` a
 * search term and `id` an event id (what a `q` that is a UUID names).
 */
export interface InboundEventAdminFilter {
  state?: string;
  endpointId?: string;
  endpointPath?: string;
  from?: string | null;
  to?: string | null;
  id?: string;
  q?: string;
}

/**
 * `q` as a delivery identity, a replay identity or a matched rule, written so each arm is an
 * index probe (a BitmapOr of three), never a scan of the table:
 * - the identities through the per-endpoint uniqueness indexes, which lead with `endpoint_id`
 *   and hold events that are not `rejected`: the tenant's endpoints are a short list (the
 *   `ANY(ARRAY(…))` is evaluated once), and a rejected event has no identity to find (the
 *   gateway stores it without one, as it never got as far as computing it);
 * - the rule through `inbound_events_tenant_matched_rule_idx` (partial: only processed
 *   events that matched a rule have an entry; nothing is indexed when a webhook is stored).
 * A common rule name still walks the cursor index and stops after one page.
 */
export function searchSql(n: number): string {
  // $1 is the tenant (see whereOf): a parameter, so the list is an InitPlan the index scans
  // take as their key, where `= e.tenant_id` would be a per-row SubPlan.
  const endpoints = `ARRAY(SELECT id FROM inbound_endpoints WHERE tenant_id = $1)`;
  return `((e.state <> 'rejected' AND e.endpoint_id = ANY(${endpoints}) AND e.delivery_identity = $${n})
        OR (e.state <> 'rejected' AND e.endpoint_id = ANY(${endpoints}) AND e.replay_identity = $${n})
        OR (e.tenant_id = $1 AND e.matched_rule = $${n}))`;
}

export class InboundEventsAdminRepository extends BaseRepository {
  /** A page of summaries (`limit + 1` rows: the caller pages), newest first. */
  list(
    tenantId: string,
    filter: InboundEventAdminFilter,
    after: KeysetPosition | null,
    limit: number,
  ): Promise<InboundEventAdminRow[]> {
    const { where, params } = whereOf(tenantId, filter);
    const keyset = keysetAfter(after, params, { time: 'e.received_at', id: 'e.id' });
    if (keyset) where.push(keyset);
    params.push(limit + 1);
    return this.manager.query(
      `SELECT e.id, e.endpoint_id, e.endpoint_path, e.state, e.method, e.url, e.content_type, e.delivery_identity,
              e.replay_identity, e.duplicate_count, e.last_duplicate_at, e.reject_reason, e.reject_code, e.matched_rule,
              e.error, e.error_stack, e.body_size, e.body_sha256, e.attempts, e.due_at, e.received_at, e.processed_at, e.updated_at
         FROM inbound_events e
        WHERE ${where.join(' AND ')}
        ORDER BY e.received_at DESC, e.id DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  async findOwned(tenantId: string, id: string): Promise<InboundEventAdminRow | null> {
    const rows: InboundEventAdminRow[] = await this.manager.query(
      `SELECT * FROM inbound_events WHERE id = $1 AND tenant_id = $2`,
      [id, tenantId],
    );
    return rows[0] ?? null;
  }

  /**
   * Moves one event from one of `from` to `to`, an operator's action: one conditional
   * UPDATE, so two operators (or an operator and the worker) racing cannot both win.
   * Answers the changed row with the state it had (read in the same statement, the old
   * row's values), or nothing when it was not in a source state.
   */
  async transition(
    tenantId: string,
    id: string,
    to: string,
    from: readonly string[],
  ): Promise<Array<InboundEventAdminRow & { previous_state: string }>> {
    return rowsOf(
      await this.manager.query(
        `UPDATE inbound_events e
              SET state = $3, due_at = NULL, lease_until = NULL, updated_at = now(),
                  error = CASE WHEN $3 = 'dead_letter' THEN COALESCE(e.error, 'dead-lettered by an operator') ELSE e.error END
             FROM (SELECT id, state FROM inbound_events WHERE id = $1 AND tenant_id = $2 FOR UPDATE) old
            WHERE e.id = old.id AND e.state = ANY($4)
            RETURNING e.*, old.state AS previous_state`,
        [id, tenantId, to, from],
      ),
    );
  }

  /** How many events a reprocess by `filter` (in `states`) would reset. */
  async countInStates(
    tenantId: string,
    filter: InboundEventAdminFilter,
    states: string[],
  ): Promise<number> {
    const { where, params } = inStates(tenantId, filter, states);
    const [row] = rowsOf<{ matched: number }>(
      await this.manager.query(
        `SELECT count(*)::int AS matched FROM inbound_events e WHERE ${where.join(' AND ')}`,
        params,
      ),
    );
    return row?.matched ?? 0;
  }

  /**
   * Resets up to 1000 matching events to `received`. SKIP LOCKED and the batch size keep a
   * large reprocess from holding one long lock over hot rows; an empty answer means done.
   */
  /**
   * Resets the next batch of matching events, in id order after `after` (the last id of
   * the previous batch; null for the first): a reprocess walks the events that matched
   * once and never comes back to one that failed again meanwhile.
   */
  async reprocessBatch(
    tenantId: string,
    filter: InboundEventAdminFilter,
    states: string[],
    after: string | null,
  ): Promise<Array<{ id: string; attempts: number }>> {
    const { where, params } = inStates(tenantId, filter, states);
    if (after !== null) {
      params.push(after);
      where.push(`e.id > $${params.length}::uuid`);
    }
    return rowsOf(
      await this.manager.query(
        `UPDATE inbound_events SET state = 'received', due_at = NULL, lease_until = NULL, updated_at = now()
            WHERE id IN (SELECT e.id FROM inbound_events e WHERE ${where.join(' AND ')}
                          ORDER BY e.id LIMIT 1000 FOR UPDATE SKIP LOCKED)
            RETURNING id, attempts`,
        params,
      ),
    );
  }
}

/** The events matching `filter` in one of `states` (the filter's own state aside). */
function inStates(
  tenantId: string,
  filter: InboundEventAdminFilter,
  states: string[],
): { where: string[]; params: unknown[] } {
  const { where, params } = whereOf(tenantId, { ...filter, state: undefined });
  params.push(states);
  where.push(`e.state = ANY($${params.length})`);
  return { where, params };
}

function whereOf(
  tenantId: string,
  filter: InboundEventAdminFilter,
): { where: string[]; params: unknown[] } {
  const where = ['e.tenant_id = $1'];
  const params: unknown[] = [tenantId];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (filter.state) add((n) => `e.state = $${n}`, filter.state);
  if (filter.endpointId !== undefined) add((n) => `e.endpoint_id = $${n}`, filter.endpointId);
  if (filter.endpointPath !== undefined) {
    add((n) => `e.endpoint_path = $${n}`, filter.endpointPath);
  }
  if (filter.from !== undefined) add((n) => `e.received_at >= $${n}`, filter.from);
  if (filter.to !== undefined) add((n) => `e.received_at < $${n}`, filter.to);
  if (filter.id !== undefined) add((n) => `e.id = $${n}`, filter.id);
  else if (filter.q !== undefined) add(searchSql, filter.q);
  return { where, params };
}
