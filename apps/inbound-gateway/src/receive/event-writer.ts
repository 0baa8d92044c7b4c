// Direct module paths: this file also runs in the writer thread, which must not load
// NestJS or TypeORM through the libraries' index files.
import { MicroBatcher, type MicroBatcherOptions } from '@app/platform/micro-batcher';
import type {
  InboundEventStore,
  InsertOutcome,
  NewInboundEvent,
} from '@app/core/ports/worker-ports';
import {
  InboundEventWrites,
  type RunSql,
} from '@app/persistence/repositories/inbound-events.repository';

// The statements live in the inbound events repository; these names stay importable here.
export {
  runSqlOn,
  runSqlOnPg,
  type RunSql,
  type SqlStatement,
} from '@app/persistence/repositories/inbound-events.repository';
export type {
  InsertOutcome,
  NewInboundEvent,
  InboundEventStore as EventStore,
} from '@app/core/ports/worker-ports';

/** Hands newly stored `received` events to processing (best effort). */
export interface EventEnqueuer {
  enqueue(eventId: string, traceparent?: string): void;
  /** Sends what is still held back; for shutdown. */
  drain?(): Promise<void>;
}

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
export class EventWriter implements InboundEventStore {
  private readonly batcher: MicroBatcher<NewInboundEvent, PromiseSettledResult<InsertOutcome>>;
  private readonly enqueuer?: EventEnqueuer;
  private readonly writes: InboundEventWrites;

  constructor(runSql: RunSql, options: EventWriterOptions = {}) {
    this.writes = new InboundEventWrites(runSql);
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
      inserted = await this.writes.insertMany(events);
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
      const inserted = await this.writes.insertOne(event);
      if (inserted !== null) return { id: inserted, duplicate: false };
      const original = await this.writes.countDuplicate(event);
      if (original !== null) return { id: original, duplicate: true };
    }
    throw new Error('could not settle an identity conflict after 3 rounds');
  }
}
