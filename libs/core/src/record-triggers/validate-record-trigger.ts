import { parsePath } from '../extraction/path';
import { conditionProblemsFor } from '../rules/validate-rules';
import type { Condition, ConditionSource } from '../rules/rule.types';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../subscriptions/event-types';
import { prototypeKeyIn } from '../untrusted-keys/untrusted-keys';
import { RECORD_OPERATIONS } from './record-trigger.types';

/** What a trigger's conditions may read: the record (`payload`) and the change (`event`). */
export const RECORD_TRIGGER_CONDITION_SOURCES: ReadonlySet<ConditionSource> = new Set([
  'payload',
  'event',
]);

export interface RecordTriggerInput {
  operations: unknown;
  changedFields?: unknown;
  conditions?: unknown;
  eventType?: unknown;
}

/**
 * Save-time checks of a record trigger: the same condition validators as handler rules,
 * known operations, data paths for changed-field filters, a publishable event type. Each
 * problem names its field in the admin API's dotted form (`conditions.0.operator`).
 */
export function recordTriggerProblems(
  input: RecordTriggerInput,
): Array<{ field: string; problem: string }> {
  const problems: Array<{ field: string; problem: string }> = [];
  const operations = input.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    problems.push({ field: 'operations', problem: 'list at least one operation' });
  } else {
    operations.forEach((operation, i) => {
      if (!(RECORD_OPERATIONS as readonly unknown[]).includes(operation)) {
        problems.push({
          field: `operations.${i}`,
          problem: `unknown operation ${JSON.stringify(operation)}; use ${RECORD_OPERATIONS.join(', ')}`,
        });
      }
    });
    if (new Set(operations).size !== operations.length) {
      problems.push({ field: 'operations', problem: 'an operation is listed twice' });
    }
  }
  const fields = input.changedFields ?? [];
  if (!Array.isArray(fields)) {
    problems.push({ field: 'changedFields', problem: 'changedFields must be a list' });
  } else {
    fields.forEach((field, i) => {
      const problem =
        typeof field !== 'string' || parsePath(field).length === 0
          ? 'a changed field is a data path (`status`, `customer.email`)'
          : prototypeKeyIn(field) !== undefined
            ? `a changed field may not name "${prototypeKeyIn(field)}"`
            : undefined;
      if (problem) problems.push({ field: `changedFields.${i}`, problem });
    });
    if (fields.length > 0 && Array.isArray(operations) && !operations.includes('updated')) {
      problems.push({
        field: 'changedFields',
        problem: 'changedFields filter updates: list "updated" among the operations',
      });
    }
  }
  const conditions = input.conditions ?? [];
  if (!Array.isArray(conditions)) {
    problems.push({ field: 'conditions', problem: 'conditions must be a list' });
  } else {
    conditions.forEach((condition, i) => {
      for (const found of conditionProblemsFor(
        condition as Condition,
        RECORD_TRIGGER_CONDITION_SOURCES,
        'record triggers',
      )) {
        problems.push({
          field: found.field ? `conditions.${i}.${found.field}` : `conditions.${i}`,
          problem: found.problem,
        });
      }
    });
  }
  const eventType = input.eventType;
  if (eventType !== undefined && eventType !== null) {
    if (
      typeof eventType !== 'string' ||
      eventType.length > MAX_EVENT_TYPE_LENGTH ||
      eventType.includes('*') ||
      !EVENT_TYPE_PATTERN.test(eventType)
    ) {
      problems.push({
        field: 'eventType',
        problem: `eventType is dot-separated words without "*" (at most ${MAX_EVENT_TYPE_LENGTH} characters)`,
      });
    }
  }
  return problems;
}
