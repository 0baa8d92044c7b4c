import type { Client, Pool, QueryConfig } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { HeaderBag, QueryBag } from '@app/core/extraction/value-source.types';
import type { NewInboundEvent } from '@app/core/ports/worker-ports';
import type { InboundSettlement } from '@app/core/effects/effect.types';
import type { ExecutionLog } from '@app/core/rules/rule.types';
// Direct module paths, no Nest and no TypeORM at run time: the gateway's writer thread
// loads this file and must stay light.
import { redactHeaders, redactQuery, redactUrl } from '@app/core/redaction';
import {
  storableJson,
  storableJsonText,
  storableText,
  storableTextOrNull,
} from '@app/core/storable';
import { rowsOf } from '../query-rows';
import { SqlLeaseStore } from './sql-lease-store';

/**
 * `inbound_events`: every statement on the table the workers run — the receiver's group
 * commit, the inbound worker's lock, claim, settle and finish, and the lease reconciler's
 * passes. The statements are tuned for the hot path (see each one's comment) and kept as
 * they are; only their home moved here.
 */

/** Something that runs SQL: the DataSource, or a transaction's EntityManager. */
export type Queryable = Pick<DataSource | EntityManager, 'query'>;

// ---------------------------------------------------------------------------------------
// The receiver's writes (group commit)
// ---------------------------------------------------------------------------------------

/**
 * One SQL text, and the name to prepare it under on each connection when it is one of the
 * writer's few fixed texts (see `insertSql`). Preparing skips Postgres's parse and plan on
 * every later run: about a fifth of Postgres's CPU per stored webhook in the bench.
 */
export interface SqlStatement {
  text: string;
  name?: string;
}

/** Runs one statement and answers its rows (RETURNING rows for INSERT and UPDATE). */
export type RunSql = (
  statement: SqlStatement,
  parameters: unknown[],
) => Promise<Array<{ id: string }>>;

/**
 * `RunSql` over a `pg` pool or client (the writer thread's). With `prepared`, named
 * statements are prepared on each connection the first time it runs them and only bound
 * and executed after that; without (DB_PREPARED_STATEMENTS=false, for poolers that do not
 * track prepared statements), every statement is sent unnamed.
 */
export function runSqlOnPg(pg: Pool | Client, prepared: boolean): RunSql {
  return async ({ text, name }, parameters) => {
    const query: QueryConfig =
      prepared && name !== undefined
        ? { name, text, values: parameters }
        : { text, values: parameters };
    return (await pg.query<{ id: string }>(query)).rows;
  };
}

/**
 * `RunSql` over a TypeORM DataSource's pool (the in-process writer). TypeORM's `query`
 * has no statement names, so statements run unprepared here.
 */
export function runSqlOn(dataSource: Queryable): RunSql {
  return async ({ text }, parameters) =>
    rowsOf<{ id: string }>(await dataSource.query(text, parameters));
}

const COLUMNS = `(id, tenant_id, endpoint_id, endpoint_path, state, method, url, headers, query, raw_body,
     content_type, payload, semantic, delivery_identity, replay_identity, reject_reason, body_size,
     body_sha256, reject_code)`;
const COLUMN_COUNT = 19;

/**
 * The insert of n rows: a batch, or one row settling alone. Batches under load hold a few
 * dozen rows, so statements for up to 64 rows are built once, reused and prepared by name
 * (about 200 KB of text here; in Postgres at most ~12 MB per connection once all 64 sizes
 * have run); rarer, larger batches build theirs each time and run unprepared.
 */
const CACHED_BATCH_SIZES = 64;
const insertSqlCache = new Map<number, SqlStatement>();

function insertSql(rows: number): SqlStatement {
  let statement = insertSqlCache.get(rows);
  if (statement === undefined) {
    const text = `INSERT INTO inbound_events ${COLUMNS} VALUES ${placeholders(rows)}
         ON CONFLICT DO NOTHING RETURNING id`;
    if (rows > CACHED_BATCH_SIZES) return { text };
    statement = { text, name: `hookgate_insert_inbound_events_${rows}` };
    insertSqlCache.set(rows, statement);
  }
  return statement;
}

function placeholders(rows: number): string {
  return Array.from(
    { length: rows },
    (_, row) =>
      `(${Array.from({ length: COLUMN_COUNT }, (_, col) => `$${row * COLUMN_COUNT + col + 1}`).join(', ')})`,
  ).join(', ');
}

/**
 * The event's 19 column values, appended to `into` (one flat array for a whole batch).
 * Every text and JSON column filled from the request goes through storableText/Json: one
 * NUL Postgres refuses would fail the row (and first the batch statement). The payload is
 * made storable where it is parsed (readPayload), which knows when a walk is needed; the
 * raw body is bytea, byte-exact.
 */
function parameters(event: NewInboundEvent, into: unknown[] = []): unknown[] {
  // A rejected request is kept only for an operator to see why: nothing processes it, so
  // its credentials (Authorization, ?token=) are redacted when stored. A received event
  // keeps them (rules, identities and re-processing read them); the admin API redacts
  // them when shown. Signature headers stay either way, for debugging mismatches.
  const rejected = event.state === 'rejected';
  into.push(
    event.id,
    event.tenantId,
    event.endpointId,
    event.endpointPath,
    event.state,
    storableText(event.method),
    storableText(rejected ? redactUrl(event.url) : event.url),
    storableJson(rejected ? redactHeaders(event.headers) : event.headers),
    storableJson(rejected ? redactQuery(event.query) : event.query),
    event.rawBody,
    storableTextOrNull(event.contentType),
    event.payloadJson ??
      (event.payload === null || event.payload === undefined
        ? null
        : JSON.stringify(event.payload)),
    storableJson(event.semantic),
    storableTextOrNull(event.deliveryIdentity),
    storableTextOrNull(event.replayIdentity),
    storableTextOrNull(event.rejectReason),
    event.bodySize ?? null,
    event.bodySha256 ?? null,
    storableTextOrNull(event.rejectCode),
  );
  return into;
}

/**
 * Not prepared: it runs only for duplicates, and a generic plan could not drop the
 * `$n IS NOT NULL` arms the way each custom plan does.
 */
const DUPLICATE_SQL: SqlStatement = {
  text: `
  UPDATE inbound_events
     SET duplicate_count = duplicate_count + 1, last_duplicate_at = now()
   WHERE id = (
     SELECT id FROM inbound_events
      WHERE endpoint_id = $1 AND state <> 'rejected'
        AND ((delivery_identity = $2 AND $2 IS NOT NULL) OR (replay_identity = $3 AND $3 IS NOT NULL))
      ORDER BY received_at
      LIMIT 1)
  RETURNING id`,
};

/**
 * The receiver's statements over a {@link RunSql} (the writer thread's `pg` pool, or the
 * DataSource in-process). The group commit itself (which events go together) is the
 * gateway's EventWriter.
 */
export class InboundEventWrites {
  constructor(private readonly runSql: RunSql) {}

  /** One multi-row `INSERT … ON CONFLICT DO NOTHING`: the ids it inserted. */
  async insertMany(events: NewInboundEvent[]): Promise<Set<string>> {
    const rows = await this.runSql(
      insertSql(events.length),
      events.reduce<unknown[]>((values, event) => parameters(event, values), []),
    );
    return new Set(rows.map((row) => row.id));
  }

  /** One row: its id when inserted, null when it met an identity conflict. */
  async insertOne(event: NewInboundEvent): Promise<string | null> {
    const inserted = await this.runSql(insertSql(1), parameters(event));
    return inserted[0]?.id ?? null;
  }

  /** Counts a duplicate on the live original: its id, or null when none is live. */
  async countDuplicate(event: NewInboundEvent): Promise<string | null> {
    const rows = await this.runSql(DUPLICATE_SQL, [
      event.endpointId,
      event.deliveryIdentity,
      event.replayIdentity,
    ]);
    return rows[0]?.id ?? null;
  }
}

// ---------------------------------------------------------------------------------------
// The inbound worker's claims and settles
// ---------------------------------------------------------------------------------------

/** An inbound event as the worker claims it: the row and its endpoint's handler and connector. */
export interface ClaimedEventRow {
  id: string;
  tenant_id: string;
  endpoint_path: string;
  handler_id: string;
  payload: unknown;
  headers: HeaderBag;
  query: QueryBag;
  semantic: Record<string, unknown>;
  delivery_identity: string | null;
  replay_identity: string | null;
  raw_body: Buffer;
  attempts: number;
  received_at: Date;
  connector_id: string | null;
}

/**
 * The id goes through the primary key. `(state = 'received') IS TRUE` rather than
 * `state = 'received'`: with the plain form the planner may pick the partial index of
 * received events (`inbound_events_due_idx`) and filter it for the id, which is O(backlog)
 * per claim once that index has grown past its statistics (measured: 30 ms per claim at
 * 5,000 received events). The IS TRUE form does not match a partial index's predicate.
 * Every per-event statement guarded by a state uses it for the same reason.
 */
const CLAIM_SQL = `
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
const LOCK_SQL = `
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
const SETTLE_SQL = { lease: settleSql('lease'), lock: settleSql('lock') };

/** Guarded like the lease settle: only this claim (its attempt count) is finished. */
const FINISH_SQL = `
  UPDATE inbound_events
     SET state = $2, error = $3, error_stack = $4, lease_until = NULL, processed_at = now(), updated_at = now()
   WHERE id = $1 AND (state = 'processing') IS TRUE AND attempts = $5`;

/** How a claimed event leaves `processing` (besides `error`, written on its own). */
export interface EventSettleRow {
  id: string;
  state: InboundSettlement['state'];
  log: ExecutionLog;
  matchedRule: string | null;
  error: string | null;
  /** `received` (a retry): when the event is due again. */
  retrySeconds: number | null;
  attempts: number;
}

/** How the events of a settle were claimed: with a lease, or by their row lock. */
export type EventClaim = 'lease' | 'lock';

/**
 * The inbound worker's statements. Bound to the DataSource, or to a transaction's manager
 * ({@link withManager}; the unit of work hands those out).
 */
export class InboundEventsRepository {
  constructor(private readonly db: Queryable) {}

  /** The same statements inside a transaction. */
  withManager(manager: EntityManager): InboundEventsRepository {
    return new InboundEventsRepository(manager);
  }

  /** Locks the claimable rows of a batch (its transaction's claim): see LOCK_SQL. */
  async lock(ids: string[]): Promise<ClaimedEventRow[]> {
    return rowsOf<ClaimedEventRow>(await this.db.query(LOCK_SQL, [ids]));
  }

  /** Claims with a lease (`received → processing`): see CLAIM_SQL. */
  async claim(ids: string[], leaseSeconds: number): Promise<ClaimedEventRow[]> {
    return rowsOf<ClaimedEventRow>(await this.db.query(CLAIM_SQL, [ids, leaseSeconds]));
  }

  /** A statement per batch, guarded by each event's claim: answers how many it settled. */
  async settle(rows: EventSettleRow[], claim: EventClaim): Promise<number> {
    const settled = rowsOf(
      await this.db.query(SETTLE_SQL[claim], [
        rows.map((s) => s.id),
        rows.map((s) => s.state),
        // Logs and errors may quote what a callback met outside (an API's answer): made
        // storable, so one NUL cannot fail the batch's settle (issue 21).
        rows.map((s) => storableJsonText(s.log)),
        rows.map((s) => storableTextOrNull(s.matchedRule)),
        rows.map((s) => storableTextOrNull(s.error)),
        rows.map((s) => s.retrySeconds),
        rows.map((s) => s.attempts),
      ]),
    );
    return settled.length;
  }

  /** Ends a leased claim in a final state with its error (an unexpected failure). */
  async finish(
    id: string,
    attempts: number,
    state: string,
    error: string | null,
    stack: string | null,
  ): Promise<void> {
    await this.db.query(FINISH_SQL, [
      id,
      state,
      storableTextOrNull(error),
      storableTextOrNull(stack),
      attempts,
    ]);
  }
}

// ---------------------------------------------------------------------------------------
// The lease reconciler's passes
// ---------------------------------------------------------------------------------------

/**
 * The lease reconciler's SQL for inbound events (messaging's LeaseReconciler runs the
 * passes): a `processing` event whose lease expired returns to `received`; `received`
 * events are due once `due_at` (a rule's retry delay) has passed.
 */
export class InboundEventLeases extends SqlLeaseStore {
  constructor(db: Queryable) {
    super(db, {
      releaseExpired: `UPDATE inbound_events SET state = 'received', lease_until = NULL, updated_at = now()
        WHERE state = 'processing' AND lease_until < now()
        RETURNING id, attempts`,
      countDue: `SELECT count(*)::int AS due FROM inbound_events
        WHERE state = 'received' AND (due_at IS NULL OR due_at <= now())`,
      dueAfter: `SELECT id, attempts FROM inbound_events
        WHERE state = 'received' AND (due_at IS NULL OR due_at <= now()) AND id > $1
        ORDER BY id LIMIT $2`,
      overdue: `SELECT id, attempts, COALESCE(due_at, updated_at) < now() - make_interval(secs => $3) AS lost
         FROM inbound_events
        WHERE state = 'received' AND COALESCE(due_at, updated_at) < now() - make_interval(secs => $1)
        ORDER BY COALESCE(due_at, updated_at) LIMIT $2`,
    });
  }
}
