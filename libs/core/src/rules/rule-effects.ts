import { ProcessingConfigurationError } from '../errors/errors';
import { toText } from '../extraction/transforms';
import { ABSENT } from '../extraction/value-source.types';
import { cloneData, writePath } from '../request/data-paths';
import { removeHeader, setHeader } from '../request/header-merge';
import type { RuleEvaluation } from './rule.types';

/**
 * What the `forward` and `mutate` actions make of a rule's resolved assignments. Both
 * return new values and leave the event or delivery they read untouched.
 */

type ResolvedAssignments = RuleEvaluation['assignments'];

/**
 * The payload of a forwarded delivery: the assigned fields when the matched rule has
 * assignments (even if none resolved), else the event payload itself.
 */
export function buildForwardPayload(evaluation: RuleEvaluation, eventPayload: unknown): unknown {
  if (!evaluation.matchedRule?.assignments?.length) return cloneData(eventPayload);
  let payload: unknown = {};
  for (const { field, value } of evaluation.assignments) {
    payload = writePath(payload, field, cloneData(value));
  }
  return payload;
}

/**
 * The data document of a record action: assignment fields are data paths, so
 * `customer.email` nests (`{ customer: { email } }`) — the same shape record lookups
 * address with dot paths.
 */
export function buildRecordData(assignments: ResolvedAssignments): Record<string, unknown> {
  let data: unknown = {};
  for (const { field, value } of assignments) data = writePath(data, field, cloneData(value));
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ProcessingConfigurationError(
      'Record data must be an object: give every assignment a field',
    );
  }
  return data as Record<string, unknown>;
}

export interface MutatedRequest {
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * The outbound `mutate` action: `headers.X-Name` fields set (or, with a null value,
 * remove) a request header case-insensitively; every other field sets a payload path.
 */
export function applyMutations(
  payload: unknown,
  headers: Record<string, string>,
  assignments: ResolvedAssignments,
): MutatedRequest {
  let nextPayload = cloneData(payload);
  const nextHeaders = { ...headers };
  for (const { field, value } of assignments) {
    if (value === ABSENT || value === undefined) continue;
    if (field.startsWith('headers.')) {
      const name = field.slice('headers.'.length);
      if (!name) {
        throw new ProcessingConfigurationError(`Assignment "${field}" names no header`, { field });
      }
      if (value === null) removeHeader(nextHeaders, name);
      else setHeader(nextHeaders, name, toText(value));
    } else {
      nextPayload = writePath(nextPayload, field, cloneData(value));
    }
  }
  return { payload: nextPayload, headers: nextHeaders };
}
