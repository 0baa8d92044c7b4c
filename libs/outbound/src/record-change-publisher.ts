import type { EntityManager } from 'typeorm';
import { planRecordChangeEvents, uuidv7, type RecordChange, type RecordTrigger } from '@app/core';
import {
  PostgresRecordStore,
  RecordTriggersRepository,
  type RecordChangeListener,
} from '@app/persistence';
import type { DeliveryIntake } from './delivery-intake';

/**
 * Record-change triggers (SPEC §11): every change the records store reports becomes, in
 * the transaction that made it, one `publish` per matching trigger — `deliveries` rows for
 * the subscribed endpoints, through the same intake as any publish. The deliveries table
 * is the outbox: the event exists exactly when the change commits, and the dispatcher (or
 * its lease reconciler, if the enqueue after the commit is lost) sends it. Each change gets
 * its own id, and `record-change:<changeId>:<triggerId>` is the idempotency key, so a
 * change is published once per trigger and endpoint.
 *
 * A model's triggers are read once per transaction (a batch of upserts reads them once).
 */
export class RecordChangePublisher {
  private readonly triggersRead = new WeakMap<EntityManager, Map<string, RecordTrigger[]>>();

  constructor(private readonly intake: DeliveryIntake) {}

  /**
   * The listener a records store of `tenantId` reports to; queued delivery ids are pushed
   * to `queued` for the caller to enqueue after the commit. `sourceEventId`: the inbound
   * event that wrote, if any.
   */
  listener(tenantId: string, queued: string[], sourceEventId: string | null): RecordChangeListener {
    return async (manager, change) => {
      for (const id of await this.publish(manager, tenantId, change, sourceEventId)) {
        queued.push(id);
      }
    };
  }

  /** A records store of the tenant in `manager`'s transaction whose changes publish. */
  store(
    manager: EntityManager,
    tenantId: string,
    queued: string[],
    sourceEventId: string | null = null,
  ): PostgresRecordStore {
    return new PostgresRecordStore(
      manager,
      tenantId,
      sourceEventId,
      this.listener(tenantId, queued, sourceEventId),
    );
  }

  /** Publishes the change's events in `manager`'s transaction; answers the queued ids. */
  async publish(
    manager: EntityManager,
    tenantId: string,
    change: RecordChange,
    sourceEventId: string | null,
  ): Promise<string[]> {
    const triggers = await this.triggers(manager, tenantId, change.model);
    if (triggers.length === 0) return [];
    const queued: string[] = [];
    for (const event of planRecordChangeEvents(triggers, change, uuidv7())) {
      const results = await this.intake.publish(
        tenantId,
        {
          eventType: event.eventType,
          payload: event.payload,
          idempotencyKey: event.idempotencyKey,
          sourceEventId,
        },
        manager,
      );
      for (const result of results) {
        if (result.state === 'queued' && !result.duplicate) queued.push(result.id);
      }
    }
    return queued;
  }

  private async triggers(
    manager: EntityManager,
    tenantId: string,
    model: string,
  ): Promise<RecordTrigger[]> {
    // Outside a transaction nothing bounds the memory's life: read every time.
    if (!manager.queryRunner?.isTransactionActive) {
      return new RecordTriggersRepository(manager).activeFor(tenantId, model);
    }
    let read = this.triggersRead.get(manager);
    if (!read) {
      read = new Map();
      this.triggersRead.set(manager, read);
    }
    const key = JSON.stringify([tenantId, model]);
    let triggers = read.get(key);
    if (!triggers) {
      triggers = await new RecordTriggersRepository(manager).activeFor(tenantId, model);
      read.set(key, triggers);
    }
    return triggers;
  }
}
