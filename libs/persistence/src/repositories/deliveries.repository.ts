import type { EntityManager } from 'typeorm';
import { storableTextOrNull } from '@app/core/storable';
import { rowsOf } from '../query-rows';
import type { Queryable } from './inbound-events.repository';
import { SqlLeaseStore } from './sql-lease-store';

/**
 * `deliveries` and `delivery_attempts`: the dispatcher's claim, finish and attempt
 * logging, and the lease reconciler's passes. The statements are tuned for the hot path
 * (batched claims and attempt writes through `unnest`, the `IS TRUE` guard form; see each
 * one's comment) and kept as they are; only their home moved here.
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

/** A file part as request building takes it. */
export interface DeliveryFileRow {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
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
const CLAIM_SQL = `
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
const RECORD_ATTEMPTS_SQL = `
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
const RECORD_ONE_ATTEMPT_SQL = (finishSql: string) => `
  WITH finished AS (${finishSql} RETURNING id)
  INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                 duration_ms, request, response_status, response_headers, response_body,
                                 error, error_class, outcome)
  SELECT id, $10, $11, $2, $12, now(), $13, $14, $8, $15, $16, $17, $18, $19 FROM finished
  ON CONFLICT (delivery_id, attempt_number) DO NOTHING`;

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

/**
 * The dispatcher's statements on deliveries. Bound to the DataSource, or to a
 * transaction's manager ({@link withManager}; the unit of work hands those out).
 */
export class DeliveriesRepository {
  constructor(private readonly db: Queryable) {}

  withManager(manager: EntityManager): DeliveriesRepository {
    return new DeliveriesRepository(manager);
  }

  /** Claims the batch's due deliveries with a lease (CLAIM_SQL): the rows claimed. */
  async claim(ids: string[], leaseSeconds: number): Promise<DeliveryRow[]> {
    return rowsOf<DeliveryRow>(await this.db.query(CLAIM_SQL, [ids, leaseSeconds]));
  }

  /**
   * The file parts of a deliver request (`delivery_files`), in their order; read only for
   * a multipart endpoint, when its body is built.
   */
  async files(deliveryId: string): Promise<DeliveryFileRow[]> {
    return rowsOf<DeliveryFileRow>(
      await this.db.query(
        `SELECT field, filename, content_type AS "contentType", content AS data
           FROM delivery_files WHERE delivery_id = $1 ORDER BY position`,
        [deliveryId],
      ),
    );
  }

  /** The delivery's guarded move out of `processing` ({@link finishStatement}). */
  async finish(delivery: DeliveryRow, state: Final, options: FinishOptions): Promise<void> {
    const { sql, params } = finishStatement(delivery, state, options);
    await this.db.query(sql, params);
  }

  /** A batch of attempts and moves in one statement (RECORD_ATTEMPTS_SQL); all or none. */
  async recordAttempts(records: AttemptRecord[]): Promise<void> {
    const column = (i: number) =>
      records.map((r) => (i < 9 ? r.finish.params[i] : r.attempt[i - 9]));
    await this.db.query(
      RECORD_ATTEMPTS_SQL,
      Array.from({ length: 19 }, (_, i) => column(i)),
    );
  }

  /** One attempt and its move, for a record the batched statement could not write. */
  async recordAttempt(record: AttemptRecord): Promise<void> {
    await this.db.query(RECORD_ONE_ATTEMPT_SQL(record.finish.sql), [
      ...record.finish.params,
      ...record.attempt,
    ]);
  }
}

/**
 * The lease reconciler's SQL for deliveries (messaging's LeaseReconciler runs the passes).
 * A `processing` delivery whose lease expired (its dispatcher died mid-request) gets an
 * `interrupted` attempt row and returns to `queued` — the receiver may have seen that
 * request, which is why deliveries carry a stable `webhook-id` for deduplication.
 * `queued` deliveries are due once `next_attempt_at` has passed.
 */
export class DeliveryLeases extends SqlLeaseStore {
  constructor(db: Queryable) {
    super(db, {
      releaseExpired: `WITH expired AS (
         UPDATE deliveries SET state = 'queued', lease_until = NULL, next_attempt_at = now(), updated_at = now(),
                last_error = 'attempt interrupted: the dispatcher stopped before recording its outcome'
          WHERE state = 'processing' AND lease_until < now()
          RETURNING id, tenant_id, endpoint_id, attempts),
       logged AS (
         INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                        duration_ms, error, error_class, outcome)
         SELECT id, tenant_id, endpoint_id, attempts, now(), now(), 0,
                'interrupted: the dispatcher stopped before recording this attempt', 'interrupted', 'interrupted'
           FROM expired
         ON CONFLICT (delivery_id, attempt_number) DO NOTHING)
       SELECT id, attempts FROM expired`,
      countDue: `SELECT count(*)::int AS due FROM deliveries
        WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now())`,
      dueAfter: `SELECT id, attempts FROM deliveries
        WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now()) AND id > $1
        ORDER BY id LIMIT $2`,
      overdue: `SELECT id, attempts,
              COALESCE(next_attempt_at, updated_at) < now() - make_interval(secs => $3) AS lost
         FROM deliveries
        WHERE state = 'queued' AND COALESCE(next_attempt_at, updated_at) < now() - make_interval(secs => $1)
        ORDER BY COALESCE(next_attempt_at, updated_at) LIMIT $2`,
    });
  }
}
