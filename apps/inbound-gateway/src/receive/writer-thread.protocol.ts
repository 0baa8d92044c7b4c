import type { NewInboundEvent } from './event-writer';

/**
 * Messages between the gateway's main thread and its event-writer thread
 * (`writer-thread.ts`). Plain data only: they cross by structured clone.
 */
export interface WriterThreadSettings {
  databaseUrl: string;
  /** Connections of the thread's own pool (one per statement in flight, plus one). */
  poolSize: number;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: the thread's queue connection is a Cluster over them when set. */
  redisClusterNodes?: string;
  queuePrefix: string;
  applicationName: string;
  /** Prepare the writer's fixed statements by name on each connection (DB_PREPARED_STATEMENTS). */
  preparedStatements: boolean;
}

/**
 * An event as it crosses to the thread: the parsed payload stays behind (its JSON text,
 * verbatim or serialised, is in `payloadJson`), and the raw body arrives as a plain
 * Uint8Array (the clone drops Buffer's prototype).
 */
export type WireEvent = Omit<NewInboundEvent, 'payload' | 'rawBody'> & {
  payload?: undefined;
  payloadJson: string | null;
  rawBody: Uint8Array;
};

export type ToWriterThread =
  { type: 'insert'; events: Array<[seq: number, event: WireEvent]> } | { type: 'close' };

/** One settled insert: `[seq, id, duplicate]`, or `[seq, null, false, error message]`. */
export type SettledInsert = [seq: number, id: string | null, duplicate: boolean, error?: string];

export type FromWriterThread =
  | { type: 'settled'; results: SettledInsert[] }
  | { type: 'warn'; message: string }
  | { type: 'heap'; usedBytes: number }
  | { type: 'closed' };

/** The `workerData` key that makes `writer-thread.ts` start (importing it does nothing). */
export const WRITER_THREAD_KEY = 'hookgateEventWriter';
