import type { EntityManager } from 'typeorm';
import {
  storableJsonText,
  storableTextOrNull,
  type ExecutionLog,
  type InboundSettlement,
} from '@app/core';
import { rowsOf } from '@app/persistence';
import type { ClaimedEvent } from './claimed-event';

/**
 * The inbound worker's statements on `inbound_events` (claim, lock, settle, finish), kept
 * together so the hot path's SQL has one home until it moves into a repository.
 */

/**
 * The id goes through the primary key. `(state = 'received') IS TRUE` rather than
 * `state = 'received'`: with the plain form the planner may pick the partial index of
 * received events (`inbound_events_due_idx`) and filter it for the id, which is O(backlog)
 * per claim once that index has grown past its statistics (measured: 30 ms per claim at
 * 5,000 received events). The IS TRUE form does not match a partial index's predicate.
 * Every per-event statement guarded by a state uses it for the same reason.
 */
export const CLAIM_SQL = `
  UPDATE inbound_events ev
     SET state = 'processing', attempts = ev.attempts + 1,
         lease_until = now() + make_interval(secs => $2), updated_at = now()
    FROM unnest($1::uuid[]) AS claim(id), inbound_endpoints ep
   WHERE ev.id = claim.id AND (ev.state = 'received') IS TRUE AND (ev.due_at IS NULL OR ev.due_at <= now())
     AND ep.id = ev.endpoint_id
  RETURNING ev.id, ev.tenant_id, ev.endpoint_path, ep.handler_id, ev.payload, ev.headers, ev.query,
            ev.semantic, ev.delivery_identity, ev.replay_identity, ev.raw_body, ev.attempts, ev.received_at,
            ep.connector_id`;

/**
 * The batch's claimable rows, locked until its transaction ends, in id order so that two
 * workers handed overlapping batches wait for each other instead of deadlocking. A row
 * another transaction holds is waited for and checked again (`received` and due) once it
 * is released. `attempts` is the count this run will write.
 */
export const LOCK_SQL = `
  SELECT ev.id, ev.tenant_id, ev.endpoint_path, ep.handler_id, ev.payload, ev.headers, ev.query,
         ev.semantic, ev.delivery_identity, ev.replay_identity, ev.raw_body, ev.attempts + 1 AS attempts,
         ev.received_at, ep.connector_id
    FROM inbound_events ev
    JOIN inbound_endpoints ep ON ep.id = ev.endpoint_id
   WHERE ev.id = ANY($1::uuid[]) AND (ev.state = 'received') IS TRUE AND (ev.due_at IS NULL OR ev.due_at <= now())
   ORDER BY ev.id
     FOR NO KEY UPDATE OF ev`;

/**
 * Settles a batch. An event claimed with a lease is settled from `processing` at the
 * attempt count its claim wrote; an event claimed by its row lock, from `received` at the
 * count before this run, which the settlement then writes.
 */
const settleSql = (claim: 'lease' | 'lock') => `
  UPDATE inbound_events ev
     SET state = s.state, attempts = s.attempts,
         execution_log = COALESCE(s.log, ev.execution_log),
         matched_rule = CASE WHEN s.state = 'received' THEN s.matched_rule
                             ELSE COALESCE(s.matched_rule, ev.matched_rule) END,
         error = CASE WHEN s.state = 'received' THEN ev.error ELSE s.error END,
         error_stack = CASE WHEN s.state = 'received' THEN ev.error_stack ELSE NULL END,
         due_at = CASE WHEN s.state = 'received' THEN now() + make_interval(secs => s.retry_seconds) ELSE ev.due_at END,
         processed_at = CASE WHEN s.state = 'received' THEN ev.processed_at ELSE now() END,
         lease_until = NULL, updated_at = now()
    FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::float8[], $7::int[])
         AS s(id, state, log, matched_rule, error, retry_seconds, attempts)
   WHERE ev.id = s.id AND ${
     claim === 'lease'
       ? `(ev.state = 'processing') IS TRUE AND ev.attempts = s.attempts`
       : `(ev.state = 'received') IS TRUE AND ev.attempts = s.attempts - 1`
   }
  RETURNING ev.id`;
export const SETTLE_LEASED_SQL = settleSql('lease');
export const SETTLE_LOCKED_SQL = settleSql('lock');

/** Guarded like {@link SETTLE_LEASED_SQL}: only this claim (its attempt count) is finished. */
export const FINISH_SQL = `
  UPDATE inbound_events
     SET state = $2, error = $3, error_stack = $4, lease_until = NULL, processed_at = now(), updated_at = now()
   WHERE id = $1 AND (state = 'processing') IS TRUE AND attempts = $5`;

/** How an event leaves `processing` (besides `error`, written on its own): a settle row. */
export interface Settlement {
  id: string;
  /** The claimed row, for the item's log line. */
  event: ClaimedEvent;
  state: InboundSettlement['state'];
  log: ExecutionLog;
  matchedRule: string | null;
  error: string | null;
  /** `received` (a retry): when the event is due again, and its attempt count. */
  retrySeconds: number | null;
  attempts: number;
}

/** The settle row of an event's settlement. */
export function settlementRow(
  event: ClaimedEvent,
  settlement: InboundSettlement,
  log: ExecutionLog,
): Settlement {
  return {
    id: event.id,
    event,
    log,
    matchedRule: log.matchedRule,
    attempts: event.attempts,
    state: settlement.state,
    error: settlement.state === 'dead_letter' ? settlement.reason : null,
    retrySeconds: settlement.state === 'received' ? settlement.retrySeconds : null,
  };
}

/**
 * The event is no longer this worker's claim (its lease ran out and another worker claimed
 * it again): the transaction rolls back, so its record writes are undone too.
 */
export class ClaimLostError extends Error {
  constructor(lost: number) {
    super(`${lost} event(s) were claimed again by another worker; their outcome is not written`);
  }
}

/** A statement per batch: each event's final state (or its retry), guarded by its claim. */
export async function settleEvents(
  manager: EntityManager,
  settlements: Settlement[],
  sql: typeof SETTLE_LEASED_SQL,
): Promise<void> {
  const settled = rowsOf(
    await manager.query(sql, [
      settlements.map((s) => s.id),
      settlements.map((s) => s.state),
      // Logs and errors may quote what a callback met outside (an API's answer): made
      // storable, so one NUL cannot fail the batch's settle (issue 21).
      settlements.map((s) => storableJsonText(s.log)),
      settlements.map((s) => storableTextOrNull(s.matchedRule)),
      settlements.map((s) => storableTextOrNull(s.error)),
      settlements.map((s) => s.retrySeconds),
      settlements.map((s) => s.attempts),
    ]),
  );
  if (settled.length < settlements.length) {
    throw new ClaimLostError(settlements.length - settled.length);
  }
}
