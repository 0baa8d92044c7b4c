import { storableTextOrNull } from '@app/core';

/**
 * The dispatcher's statements on `deliveries` and `delivery_attempts` (claim, finish,
 * attempt logging), kept together so the hot path's SQL has one home until it moves into
 * a repository.
 */

/** A delivery as the dispatcher claims it. */
export interface DeliveryRow {
  id: string;
  tenant_id: string;
  endpoint_id: string | null;
  endpoint_code: string;
  event_type: string | null;
  payload: unknown;
  context: Record<string, string>;
  idempotency_key: string | null;
  attempts: number;
  created_at: Date;
}

/** The states a delivery leaves `processing` for. */
export type Final = 'done' | 'queued' | 'error' | 'dead_letter' | 'canceled' | 'draft';

/**
 * The id goes through the primary key. `(state = 'queued') IS TRUE` rather than
 * `state = 'queued'`: with the plain form the planner may pick the partial index of queued
 * deliveries (`deliveries_next_attempt_idx`) and filter it for the id, O(backlog) per
 * claim once that index has grown past its statistics. The IS TRUE form does not match a
 * partial index's predicate; the finish statement uses it for `processing` likewise.
 */
export const CLAIM_SQL = `
  UPDATE deliveries d SET state = 'processing', attempts = d.attempts + 1,
         lease_until = now() + make_interval(secs => $2), updated_at = now()
    FROM unnest($1::uuid[]) AS claim(id)
   WHERE d.id = claim.id AND (d.state = 'queued') IS TRUE
     AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())
  RETURNING d.id, d.tenant_id, d.endpoint_id, d.endpoint_code, d.event_type, d.payload, d.context,
            d.idempotency_key, d.attempts, d.created_at`;

/** One attempt and the delivery's move out of `processing`, as {@link recordAttempts} writes it. */
export interface AttemptRecord {
  finish: { sql: string; params: unknown[] };
  attempt: unknown[];
}

/**
 * The attempt rows and the deliveries' outcomes of a batch in one statement, so one round
 * trip and atomic: an attempt row is written only where the guarded UPDATE found this
 * worker's claim. Columns as {@link finishStatement}'s parameters, then the attempt's.
 */
export const RECORD_ATTEMPTS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],
                         $7::float8[], $8::int[], $9::bool[], $10::uuid[], $11::uuid[],
                         $12::timestamptz[], $13::int[], $14::jsonb[], $15::jsonb[], $16::text[],
                         $17::text[], $18::text[], $19::text[])
      AS i(id, attempts, state, unclaim, error, stack, delay_seconds, response_status, terminal,
           tenant_id, endpoint_id, started_at, duration_ms, request, response_headers,
           response_body, attempt_error, error_class, outcome)),
  finished AS (
    UPDATE deliveries d
       SET state = i.state,
           attempts = d.attempts - i.unclaim,
           last_error = COALESCE(i.error, CASE WHEN i.state = 'done' THEN NULL ELSE d.last_error END),
           error_stack = i.stack,
           next_attempt_at = CASE WHEN i.state = 'queued' THEN now() + make_interval(secs => i.delay_seconds) ELSE NULL END,
           response_status = COALESCE(i.response_status, d.response_status),
           lease_until = NULL,
           completed_at = CASE WHEN i.terminal THEN now() ELSE NULL END,
           updated_at = now()
      FROM input i
     WHERE d.id = i.id AND (d.state = 'processing') IS TRUE AND d.attempts = i.attempts
    RETURNING d.id)
  INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                 duration_ms, request, response_status, response_headers, response_body,
                                 error, error_class, outcome)
  SELECT i.id, i.tenant_id, i.endpoint_id, i.attempts, i.started_at, now(), i.duration_ms, i.request,
         i.response_status, i.response_headers, i.response_body, i.attempt_error, i.error_class, i.outcome
    FROM finished f JOIN input i ON i.id = f.id
  ON CONFLICT (delivery_id, attempt_number) DO NOTHING`;

/** One attempt and the delivery's move, for a record the batched statement could not write. */
export const RECORD_ONE_ATTEMPT_SQL = (finishSql: string) => `
  WITH finished AS (${finishSql} RETURNING id)
  INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                 duration_ms, request, response_status, response_headers, response_body,
                                 error, error_class, outcome)
  SELECT id, $10, $11, $2, $12, now(), $13, $14, $8, $15, $16, $17, $18, $19 FROM finished
  ON CONFLICT (delivery_id, attempt_number) DO NOTHING`;

/**
 * The endpoint row a held delivery re-reads under `FOR SHARE`: activation updates it
 * before it moves the endpoint's drafts to `queued` (see the executor's `hold`).
 */
export const ENDPOINT_HOLD_SQL = `SELECT state, disabled_at IS NOT NULL AS disabled FROM outbound_endpoints WHERE id = $1 FOR SHARE`;

export interface FinishOptions {
  error?: string | null;
  stack?: string | null;
  delaySeconds?: number;
  unclaim?: boolean;
  responseStatus?: number | null;
}

/**
 * The delivery's move out of `processing`, guarded by `attempts = n` so a worker that lost
 * its lease cannot overwrite a newer attempt's outcome. Parameters $1–$9.
 */
export function finishStatement(
  delivery: DeliveryRow,
  state: Final,
  options: FinishOptions,
): { sql: string; params: unknown[] } {
  const terminal = ['done', 'error', 'dead_letter', 'canceled'].includes(state);
  return {
    sql: `UPDATE deliveries
          SET state = $3,
              attempts = attempts - $4::int,
              last_error = COALESCE($5, CASE WHEN $3 = 'done' THEN NULL ELSE last_error END),
              error_stack = $6,
              next_attempt_at = CASE WHEN $3 = 'queued' THEN now() + make_interval(secs => $7) ELSE NULL END,
              response_status = COALESCE($8, response_status),
              lease_until = NULL,
              completed_at = CASE WHEN $9 THEN now() ELSE NULL END,
              updated_at = now()
        WHERE id = $1 AND (state = 'processing') IS TRUE AND attempts = $2`,
    params: [
      delivery.id,
      delivery.attempts,
      state,
      options.unclaim ? 1 : 0,
      // Errors quote what failed: a sink's answer, an exception's message.
      storableTextOrNull(options.error),
      storableTextOrNull(options.stack),
      options.delaySeconds ?? 0,
      options.responseStatus ?? null,
      terminal,
    ],
  };
}
