import { evaluateCondition } from '../conditions/evaluate-condition';
import { getPath } from '../extraction/path';
import { ABSENT } from '../extraction/value-source.types';
import { hasOwn } from '../untrusted-keys/untrusted-keys';
import type { RecordData } from '../ports/ports';
import type {
  RecordChange,
  RecordChangeEvent,
  RecordOperation,
  RecordTrigger,
} from './record-trigger.types';

/**
 * Which triggers a record change fires, and the event each publishes (pure: the caller
 * loads the model's triggers and publishes in the change's transaction).
 *
 * - a trigger fires for the operations it lists, if active and of the change's model;
 * - `updated` with `changedFields`: only if one of those data paths changed (strict JSON
 *   equality: `"42"` and `42` differ; a path that appears or disappears changed);
 * - conditions (the rule engine's) all hold on the record after the change (before it for
 *   `deleted`) as `payload`; `event` offers `operation`, `model`, `recordId`,
 *   `changedFields`, `before` and `after`;
 * - the event type is the trigger's, or `record.<model>.<operation>`;
 * - the idempotency key is `record-change:<changeId>:<triggerId>`: one event per change
 *   and trigger, whoever publishes it.
 */
export function planRecordChangeEvents(
  triggers: readonly RecordTrigger[],
  change: RecordChange,
  changeId: string,
): RecordChangeEvent[] {
  // Cheap filters first: a change no trigger listens for costs no comparison of its data.
  const listening = triggers.filter(
    (trigger) =>
      trigger.active &&
      trigger.model === change.model &&
      trigger.operations.includes(change.operation),
  );
  if (listening.length === 0) return [];
  const changedFields = changedTopLevelFields(change.before, change.after);
  const subject = change.operation === 'deleted' ? change.before : change.after;
  const scope = {
    payload: subject ?? {},
    event: {
      operation: change.operation,
      model: change.model,
      recordId: change.recordId,
      changedFields,
      before: change.before,
      after: change.after,
    },
  };
  return listening
    .filter(
      (trigger) =>
        change.operation !== 'updated' ||
        trigger.changedFields.length === 0 ||
        trigger.changedFields.some((path) => pathChanged(change.before, change.after, path)),
    )
    .filter((trigger) =>
      trigger.conditions.every((condition) => evaluateCondition(condition, scope).result),
    )
    .map((trigger) => ({
      triggerId: trigger.id,
      eventType: trigger.eventType ?? defaultRecordEventType(change.model, change.operation),
      idempotencyKey: `record-change:${changeId}:${trigger.id}`,
      payload: {
        changeId,
        trigger: trigger.code,
        model: change.model,
        recordId: change.recordId,
        operation: change.operation,
        changedFields,
        before: change.before,
        after: change.after,
      },
    }));
}

export function defaultRecordEventType(model: string, operation: RecordOperation): string {
  return `record.${model}.${operation}`;
}

/** Top-level keys whose values differ (all keys of the one side when the other is null). */
export function changedTopLevelFields(
  before: RecordData | null,
  after: RecordData | null,
): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys]
    .filter((key) => !sameJson(own(before, key), own(after, key)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function own(data: RecordData | null, key: string): unknown {
  return data && hasOwn(data, key) ? data[key] : ABSENT;
}

function pathChanged(before: RecordData | null, after: RecordData | null, path: string): boolean {
  return !sameJson(getPath(before, path), getPath(after, path));
}

/** Strict JSON equality (object key order ignored); ABSENT equals only ABSENT. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => hasOwn(right, key) && sameJson(left[key], right[key]));
}
