import { DataSource, type EntityManager } from 'typeorm';
import { parsePath, setPath } from '@app/core/extraction/path';
import type { RecordData, RecordLookup, RecordStore, StoredRecord } from '@app/core/ports/ports';
import {
  AmbiguousRecordError,
  InvalidRecordLookupError,
  NoRecordMatchedError,
} from './record-errors';

/**
 * The records store (SPEC §6) on the `records` table, for one tenant and, optionally, the
 * event that writes.
 *
 * - Data keys may be dot paths (`customer.email`, `items.0.sku`): they are expanded into
 *   nested documents, so what assignments write is what lookups find.
 * - Updates deep-merge objects (arrays and scalars are replaced), under a row lock.
 * - Lookups are JSON equality on data paths. Scalar lookups on plain paths become one
 *   containment test (`data @> …`, served by the GIN index); array-index paths and
 *   object/array values are compared with `data #> path = value`. Types are strict: the
 *   string "42" does not match the number 42.
 * - `upsert` serialises writers of one (tenant, model, lookup) with a transaction-scoped
 *   advisory lock, so racing upserts create one record. A created record contains the
 *   lookup values too, so the next upsert finds it.
 *
 * Constructed with a DataSource, each call runs in its own transaction. Constructed with an
 * EntityManager inside a transaction (the inbound worker's), every statement joins that
 * transaction and locks are held until it commits. Such a transaction must be READ
 * COMMITTED (the default) for upserts to see each other's rows. The store's own errors are
 * thrown before any statement fails, so the outer transaction stays usable.
 */
export class PostgresRecordStore implements RecordStore {
  constructor(
    private readonly db: DataSource | EntityManager,
    private readonly tenantId: string,
    private readonly eventId: string | null = null,
  ) {}

  async create(model: string, data: RecordData): Promise<StoredRecord> {
    const rows = await this.manager().query(INSERT_SQL, [
      this.tenantId,
      model,
      JSON.stringify(expandData(data)),
      this.eventId,
    ]);
    return toStored(rowsOf(rows)[0]);
  }

  async find(model: string, lookup: RecordLookup): Promise<StoredRecord[]> {
    const where = buildLookupWhere(normalizeLookup(lookup, { allowEmpty: true }), 3);
    const rows = await this.manager().query(
      `SELECT id, model, data FROM records
        WHERE tenant_id = $1 AND model = $2${where.sql}
        ORDER BY created_at, id`,
      [this.tenantId, model, ...where.params],
    );
    return rowsOf(rows).map(toStored);
  }

  async update(model: string, lookup: RecordLookup, data: RecordData): Promise<StoredRecord> {
    const normalized = normalizeLookup(lookup, { allowEmpty: false });
    const changes = expandData(data);
    return this.inTransaction(async (manager) => {
      const matches = await this.lockMatches(manager, model, normalized);
      if (matches.length === 0) throw new NoRecordMatchedError(model, lookup);
      if (matches.length > 1) {
        throw new AmbiguousRecordError(
          model,
          lookup,
          matches.map((m) => m.id),
        );
      }
      return this.write(manager, matches[0], changes);
    });
  }

  async upsert(
    model: string,
    lookup: RecordLookup,
    data: RecordData,
  ): Promise<StoredRecord & { created: boolean }> {
    const normalized = normalizeLookup(lookup, { allowEmpty: false });
    const changes = expandData(data);
    return this.inTransaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        lockKey(this.tenantId, model, normalized),
      ]);
      const matches = await this.lockMatches(manager, model, normalized);
      if (matches.length > 1) {
        throw new AmbiguousRecordError(
          model,
          lookup,
          matches.map((m) => m.id),
        );
      }
      if (matches.length === 1) {
        return { ...(await this.write(manager, matches[0], changes)), created: false };
      }
      const document = deepMerge(lookupDocument(normalized), changes);
      const rows = await manager.query(INSERT_SQL, [
        this.tenantId,
        model,
        JSON.stringify(document),
        this.eventId,
      ]);
      return { ...toStored(rowsOf(rows)[0]), created: true };
    });
  }

  private manager(): EntityManager {
    return this.db instanceof DataSource ? this.db.manager : this.db;
  }

  private async inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const manager = this.manager();
    if (manager.queryRunner?.isTransactionActive) return work(manager);
    return manager.transaction(work);
  }

  /** At most two matches (enough to tell one from several), row-locked for the write. */
  private async lockMatches(
    manager: EntityManager,
    model: string,
    lookup: NormalizedLookup[],
  ): Promise<RecordRow[]> {
    const where = buildLookupWhere(lookup, 3);
    const rows = await manager.query(
      `SELECT id, model, data FROM records
        WHERE tenant_id = $1 AND model = $2${where.sql}
        ORDER BY created_at, id
        LIMIT 2
        FOR UPDATE`,
      [this.tenantId, model, ...where.params],
    );
    return rowsOf(rows);
  }

  private async write(
    manager: EntityManager,
    existing: RecordRow,
    changes: RecordData,
  ): Promise<StoredRecord> {
    const rows = await manager.query(
      `UPDATE records SET data = $2::jsonb, updated_by_event = COALESCE($3, updated_by_event), updated_at = now()
        WHERE id = $1
        RETURNING id, model, data`,
      [existing.id, JSON.stringify(deepMerge(existing.data, changes)), this.eventId],
    );
    return toStored(rowsOf(rows)[0]);
  }
}

const INSERT_SQL = `
  INSERT INTO records (tenant_id, model, data, created_by_event, updated_by_event)
  VALUES ($1, $2, $3::jsonb, $4, $4)
  RETURNING id, model, data`;

interface RecordRow {
  id: string;
  model: string;
  data: RecordData;
}

interface NormalizedLookup {
  segments: string[];
  /** The value in its JSON form (what Postgres compares). */
  value: unknown;
}

function toStored(row: RecordRow): StoredRecord {
  return { id: row.id, model: row.model, data: row.data };
}

/** TypeORM answers UPDATE … RETURNING as `[rows, count]` and SELECT/INSERT as rows. */
function rowsOf(result: unknown): RecordRow[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as RecordRow[];
  }
  return result as RecordRow[];
}

function normalizeLookup(
  lookup: RecordLookup,
  { allowEmpty }: { allowEmpty: boolean },
): NormalizedLookup[] {
  if (!allowEmpty && lookup.length === 0) {
    throw new InvalidRecordLookupError(
      'updating or upserting a record needs at least one lookup to locate it',
    );
  }
  return lookup.map(({ field, value }) => {
    const segments = parsePath(field);
    if (segments.length === 0) {
      throw new InvalidRecordLookupError(`record lookup field "${field}" is not a data path`);
    }
    if (value === undefined || typeof value === 'symbol' || typeof value === 'function') {
      throw new InvalidRecordLookupError(
        `record lookup "${field}" resolved to no value, so it cannot select a record`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(JSON.stringify(value)) as unknown;
    } catch (error) {
      throw new InvalidRecordLookupError(`record lookup "${field}" is not a JSON value`, {
        error: String(error),
      });
    }
    return { segments, value: json };
  });
}

const isIndex = (segment: string): boolean => /^\d+$/.test(segment);
const isScalar = (value: unknown): boolean => value === null || typeof value !== 'object';

/**
 * `AND data @> $n::jsonb AND data #> $m::text[] = $k::jsonb …` with its parameters, the
 * first numbered `firstParam`.
 */
function buildLookupWhere(
  lookup: NormalizedLookup[],
  firstParam: number,
): { sql: string; params: unknown[] } {
  const containment: Record<string, unknown> = {};
  let containmentUsed = false;
  const exact: NormalizedLookup[] = [];
  for (const entry of lookup) {
    const containable = isScalar(entry.value) && !entry.segments.some(isIndex);
    if (containable && placeInto(containment, entry.segments, entry.value)) {
      containmentUsed = true;
    } else {
      exact.push(entry);
    }
  }
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (containmentUsed) {
    params.push(JSON.stringify(containment));
    clauses.push(`data @> $${firstParam + params.length - 1}::jsonb`);
  }
  for (const entry of exact) {
    params.push(entry.segments, JSON.stringify(entry.value));
    const path = firstParam + params.length - 2;
    clauses.push(`data #> $${path}::text[] = $${path + 1}::jsonb`);
  }
  return { sql: clauses.map((clause) => ` AND ${clause}`).join(''), params };
}

/** Sets a leaf in a containment object; false when it would clash with an earlier entry. */
function placeInto(root: Record<string, unknown>, segments: string[], value: unknown): boolean {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const exists = Object.prototype.hasOwnProperty.call(node, segment);
    if (i === segments.length - 1) {
      if (exists) return false;
      defineOwn(node, segment, value);
      return true;
    }
    if (!exists) defineOwn(node, segment, {});
    const next = node[segment];
    if (!isPlainObject(next)) return false;
    node = next;
  }
  return false;
}

/** The lookup values as a document, so a record created by upsert is found by the lookup. */
function lookupDocument(lookup: NormalizedLookup[]): RecordData {
  let document: RecordData = {};
  for (const entry of lookup) {
    document = setPath(document, entry.segments.join('.'), entry.value) as RecordData;
  }
  return document;
}

function lockKey(tenantId: string, model: string, lookup: NormalizedLookup[]): string {
  const entries = lookup
    .map((entry) => [entry.segments.join('.'), canonicalJson(entry.value)] as const)
    .sort(([a, av], [b, bv]) => compareText(a, b) || compareText(av, bv));
  return JSON.stringify(['records', tenantId, model, entries]);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A plain JSON copy of `data` with dot-path keys expanded into nested objects. */
function expandData(data: RecordData): RecordData {
  const plain = (JSON.parse(JSON.stringify(data ?? {})) ?? {}) as RecordData;
  let result: RecordData = {};
  for (const [key, value] of Object.entries(plain)) {
    const segments = parsePath(key);
    if (segments.length > 1) {
      result = setPath(result, segments.join('.'), value) as RecordData;
    } else {
      result = deepMerge(result, { [key]: value });
    }
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a `__proto__` key in data stays data.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Objects merge key by key, recursively; arrays and scalars in `changes` replace. */
function deepMerge(base: unknown, changes: RecordData): RecordData {
  const result: RecordData = {};
  if (isPlainObject(base)) for (const [k, v] of Object.entries(base)) defineOwn(result, k, v);
  for (const [key, value] of Object.entries(changes)) {
    const current = Object.prototype.hasOwnProperty.call(result, key) ? result[key] : undefined;
    defineOwn(
      result,
      key,
      isPlainObject(value) && isPlainObject(current) ? deepMerge(current, value) : value,
    );
  }
  return result;
}
