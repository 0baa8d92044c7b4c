import type { EntityManager } from 'typeorm';
import {
  NO_RECORD_MATCHED,
  type ForwardEffect,
  type InboundPlan,
  type InboundSettlement,
  type RecordWriteEffect,
  type RecordWriteLog,
} from '@app/core';
import {
  NoRecordMatchedError,
  upsertRecords,
  type PostgresRecordStore,
  type UpsertResult,
} from '@app/persistence';
import type { DeliveryIntake } from '@app/outbound';
import type { ClaimedEvent } from './claimed-event';

/**
 * Carries out an inbound plan (libs/core effects): its record writes and forwarded
 * deliveries join the caller's transaction, so they exist exactly when the event's
 * outcome does. What each action means is decided by the planner, not here. The records
 * store it is given reports each change to the record-change triggers in that same
 * transaction (RecordChangePublisher), so their events commit with the change too.
 */

/** A record an upsert of the batch wrote (see upsertRecords). */
export type Upserted = UpsertResult;

/** A delivery request of the event, as the intake takes it (the event is its source). */
export type Deliver = (request: {
  endpoint: string;
  payload: unknown;
  context?: Record<string, string>;
  idempotencyKey?: string;
  eventType?: string;
}) => ReturnType<DeliveryIntake['deliver']>;

/** Deliveries of the event through the intake; new queued ones are collected in `queued`. */
export function deliverVia(
  intake: DeliveryIntake,
  manager: EntityManager,
  event: ClaimedEvent,
  queued: string[],
): Deliver {
  return async (request) => {
    const result = await intake.deliver(
      event.tenant_id,
      { ...request, sourceEventId: event.id },
      manager,
    );
    if (result.state === 'queued' && !result.duplicate) queued.push(result.id);
    return result;
  };
}

/**
 * Applies the plan's effects in order and answers the event's settlement: the plan's, or
 * {@link NO_RECORD_MATCHED} when an update found no record. `upserted`: the record the
 * batch already upserted for this event ({@link upsertTogether}).
 */
export async function applyInboundPlan(
  plan: InboundPlan,
  records: PostgresRecordStore,
  deliver: Deliver,
  upserted?: Upserted,
): Promise<{ settlement: InboundSettlement; writes: RecordWriteLog[] }> {
  const writes: RecordWriteLog[] = [];
  for (const effect of plan.effects) {
    if (effect.kind === 'forward') {
      await forward(effect, deliver);
      continue;
    }
    try {
      writes.push(await writeRecord(effect, records, upserted));
    } catch (error) {
      if (effect.operation === 'update' && error instanceof NoRecordMatchedError) {
        return { settlement: NO_RECORD_MATCHED, writes };
      }
      throw error;
    }
  }
  return { settlement: plan.settlement, writes };
}

async function writeRecord(
  effect: RecordWriteEffect,
  records: PostgresRecordStore,
  upserted?: Upserted,
): Promise<RecordWriteLog> {
  const { model, lookup, data } = effect;
  switch (effect.operation) {
    case 'create': {
      const record = await records.create(model, data);
      return { model: record.model, recordId: record.id, operation: 'created' };
    }
    case 'update': {
      const record = await records.update(model, lookup, data);
      return { model: record.model, recordId: record.id, operation: 'updated' };
    }
    case 'upsert': {
      let record: Upserted;
      if (upserted) {
        record = upserted;
        await records.announce(upserted);
      } else {
        record = await records.upsert(model, lookup, data);
      }
      return {
        model: record.model,
        recordId: record.id,
        operation: record.created ? 'created' : 'updated',
      };
    }
  }
}

async function forward(effect: ForwardEffect, deliver: Deliver): Promise<void> {
  await deliver({
    endpoint: effect.endpoint,
    payload: effect.payload,
    idempotencyKey: effect.idempotencyKey,
  });
}

/**
 * The upserts of a batch in a fixed number of statements ({@link upsertRecords}), when
 * the batch only upserts or writes nothing: a create, update or forward among them could
 * depend on the upserts' order, so such a batch upserts event by event.
 */
export async function upsertTogether(
  manager: EntityManager,
  planned: Array<{ event: ClaimedEvent; plan: InboundPlan }>,
): Promise<Map<string, Upserted>> {
  const none = new Map<string, Upserted>();
  const isUpsert = (effect: InboundPlan['effects'][number]): effect is RecordWriteEffect =>
    effect.kind === 'write_record' && effect.operation === 'upsert';
  if (!planned.every(({ plan }) => plan.effects.every(isUpsert))) return none;
  const upserts = planned.flatMap(({ event, plan }) =>
    plan.effects.filter(isUpsert).map((effect) => ({ event, effect })),
  );
  if (upserts.length < 2) return none;
  const results = await upsertRecords(
    manager,
    upserts.map(({ event, effect }) => ({
      tenantId: event.tenant_id,
      eventId: event.id,
      model: effect.model,
      lookup: effect.lookup,
      data: effect.data,
    })),
  );
  if (!results) return none;
  return new Map(upserts.map(({ event }, i) => [event.id, results[i]]));
}
