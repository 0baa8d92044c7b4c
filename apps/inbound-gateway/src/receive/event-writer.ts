import type { Client, Pool, QueryConfig } from 'pg';
import type { DataSource } from 'typeorm';
import type { HeaderBag, QueryBag } from '@app/core';
import { redactHeaders, redactQuery, redactUrl } from '@app/core/redaction';
import { storableJson, storableText, storableTextOrNull } from '@app/core/storable';
// Direct module paths: this file also runs in the writer thread, which must not load
// NestJS or TypeORM through the libraries' index files.
import { MicroBatcher, type MicroBatcherOptions } from '@app/platform/micro-batcher';
import { rowsOf } from '@app/persistence/query-rows';

/**
 * Persists received events. Identity uniqueness is enforced by Postgres (partial unique
 * indexes that exclude rejected events), so concurrent copies of one delivery race on
 * the index: exactly one insert wins, the others become duplicates of it.
 */
export interface NewInboundEvent {
  id: string;
  tenantId: string;
  endpointId: string;
  endpointPath: string;
  state: 'received' | 'rejected';
  method: string;
  url: string;
  headers: HeaderBag;
  query: QueryBag;
  rawBody: Buffer;
  contentType: string | null;
  payload: unknown;
  /** `payload` as JSON text to store verbatim (ReadPayload.jsonText); else it is serialised. */
  payloadJson?: string | null;
  semantic: Record<string, unknown>;
  deliveryIdentity: string | null;
  replayIdentity: string | null;
  rejectReason?: string;
  /** Rejected events: the whole body's size and SHA-256 (hex); `rawBody` is then a prefix. */
  bodySize?: number | null;
  bodySha256?: string | null;
  /** The receive span's W3C traceparent (tracing on): its processing job carries it. Not stored. */
  traceparent?: string;
}

export interface InsertOutcome {
  id: string;
  duplicate: boolean;
}

/**
 * Where the receive pipeline stores events. `insert` resolves once the event's row is
 * committed (or found to be a duplicate of a committed one); a newly stored `received`
 * event is then also handed to processing, best effort (the reconciler covers a loss).
 */
export interface EventStore {
  insert(event: NewInboundEvent): Promise<InsertOutcome>;
}

/** Hands newly stored `received` events to processing (best effort). */
export interface EventEnqueuer {
  enqueue(eventId: string, traceparent?: string): void;
  /** Sends what is still held back; for shutdown. */
  drain?(): Promise<void>;
}

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
export function runSqlOn(dataSource: DataSource): RunSql {
  return async ({ text }, parameters) =>
    rowsOf<{ id: string }>(await dataSource.query(text, parameters));
}

const COLUMNS = `(id, tenant_id, endpoint_id, endpoint_path, state, method, url, headers, query, raw_body,
     content_type, payload, semantic, delivery_identity, replay_identity, reject_reason, body_size,
     body_sha256)`;
const COLUMN_COUNT = 18;

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
 * The event's 18 column values, appended to `into` (one flat array for a whole batch).
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

export interface EventWriterOptions {
  /** Gets each newly stored `received` event's id; none in tests that only store. */
  enqueuer?: EventEnqueuer;
  batch?: MicroBatcherOptions;
}

export const EVENT_WRITER_BATCH: MicroBatcherOptions = { maxBatch: 256, maxInFlight: 4 };

/**
 * Group commit: inserts that arrive while others are being written are gathered (by a
 * MicroBatcher) into one multi-row `INSERT … ON CONFLICT DO NOTHING`, so 64 concurrent
 * requests cost a few commits instead of 64. Each caller's promise resolves only after the
 * statement holding its row has committed — the answer a provider gets is as durable as
 * before. Rows the statement did not insert lost an identity race and settle one by one as
 * duplicates; if the statement fails, every row is retried alone so one bad row cannot fail
 * the others.
 */
export class EventWriter implements EventStore {
  private readonly batcher: MicroBatcher<NewInboundEvent, PromiseSettledResult<InsertOutcome>>;
  private readonly enqueuer?: EventEnqueuer;

  constructor(
    private readonly runSql: RunSql,
    options: EventWriterOptions = {},
  ) {
    this.enqueuer = options.enqueuer;
    this.batcher = new MicroBatcher(
      (events) => this.flush(events),
      options.batch ?? EVENT_WRITER_BATCH,
    );
  }

  /** Nest calls this after the HTTP server has stopped taking requests. */
  async onApplicationShutdown(): Promise<void> {
    await this.enqueuer?.drain?.();
  }

  async insert(event: NewInboundEvent): Promise<InsertOutcome> {
    const settled = await this.batcher.submit(event);
    if (settled.status === 'rejected') throw settled.reason;
    if (!settled.value.duplicate && event.state === 'received') {
      this.enqueuer?.enqueue(settled.value.id, event.traceparent);
    }
    return settled.value;
  }

  /** One result per event, in order; a row's own failure fails only that row's caller. */
  private async flush(events: NewInboundEvent[]): Promise<PromiseSettledResult<InsertOutcome>[]> {
    let inserted: Set<string>;
    try {
      const rows = await this.runSql(
        insertSql(events.length),
        events.reduce<unknown[]>((values, event) => parameters(event, values), []),
      );
      inserted = new Set(rows.map((row) => row.id));
    } catch {
      inserted = new Set();
    }
    return Promise.allSettled(
      events.map((event) =>
        inserted.has(event.id)
          ? Promise.resolve({ id: event.id, duplicate: false })
          : this.insertOne(event),
      ),
    );
  }

  /** One row on its own: insert, or count it as a duplicate of the live original. */
  private async insertOne(event: NewInboundEvent): Promise<InsertOutcome> {
    // A conflicting row can be rejected or reset between our insert and our update; a few
    // rounds settle it (each round either inserts or finds the live original).
    for (let round = 0; round < 3; round++) {
      const inserted = await this.runSql(insertSql(1), parameters(event));
      if (inserted.length > 0) return { id: inserted[0].id, duplicate: false };
      const rows = await this.runSql(DUPLICATE_SQL, [
        event.endpointId,
        event.deliveryIdentity,
        event.replayIdentity,
      ]);
      if (rows.length > 0) return { id: rows[0].id, duplicate: true };
    }
    throw new Error('could not settle an identity conflict after 3 rounds');
  }
}
