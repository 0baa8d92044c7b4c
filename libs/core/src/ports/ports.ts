/**
 * The ports core needs from the outside world. Persistence and messaging libraries bind
 * them; tests bind in-memory fakes. Nothing here knows about Postgres or Redis.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export type RecordData = Record<string, unknown>;

export interface StoredRecord {
  id: string;
  model: string;
  data: RecordData;
}

/** Equality on data fields (`{ "number": 42, "repo.id": 7 }` — dot paths allowed). */
export type RecordLookup = Array<{ field: string; value: unknown }>;

export interface RecordStore {
  create(model: string, data: RecordData): Promise<StoredRecord>;
  /** Throws `NoRecordMatchedError` for none and `AmbiguousRecordError` for several matches. */
  update(model: string, lookup: RecordLookup, data: RecordData): Promise<StoredRecord>;
  /** Race-safe: two concurrent upserts for one lookup create one record. */
  upsert(
    model: string,
    lookup: RecordLookup,
    data: RecordData,
  ): Promise<StoredRecord & { created: boolean }>;
  find(model: string, lookup: RecordLookup): Promise<StoredRecord[]>;
}

export interface DeliverRequest {
  endpoint: string;
  payload: unknown;
  context?: Record<string, string>;
  idempotencyKey?: string;
  tenant?: string;
}

export interface PublishRequest {
  eventType: string;
  payload: unknown;
  context?: Record<string, string>;
  idempotencyKey?: string;
  tenant?: string;
}

export interface DeliveryPublisher {
  deliver(request: DeliverRequest): Promise<{ id: string; duplicate: boolean }>;
  publish(request: PublishRequest): Promise<{ ids: string[] }>;
}
