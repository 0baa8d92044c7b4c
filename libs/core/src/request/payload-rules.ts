import { isHookgateError, ProcessingConfigurationError } from '../errors/errors';
import { resolveWithTransform } from '../extraction/transforms';
import { ABSENT, type EvaluationScope } from '../extraction/value-source.types';
import { cloneData, writePath } from './data-paths';
import type { PayloadRule } from './request.types';

/**
 * An outbound endpoint's payload rules (SPEC §5): each sets one body path from a value
 * source. Sources read the delivery's original payload, never the body being built, so
 * rule order only matters when two rules write the same path. A source that resolves to
 * nothing (and has no default) leaves the path untouched. An empty path replaces the body.
 */
export function applyPayloadRules(
  payload: unknown,
  rules: readonly PayloadRule[] | undefined,
  replacePayload: boolean,
  scope: EvaluationScope,
): unknown {
  if (!rules || rules.length === 0) return replacePayload ? {} : payload;
  let body: unknown = replacePayload ? {} : cloneData(payload);
  for (const rule of rules) {
    let value: unknown;
    try {
      value = resolveWithTransform(rule, scope);
    } catch (error) {
      const reason = isHookgateError(error) ? error.reason : String(error);
      throw new ProcessingConfigurationError(`Payload rule "${rule.path}": ${reason}`, {
        path: rule.path,
      });
    }
    if (value === ABSENT) continue;
    body = writePath(body, rule.path, cloneData(value));
  }
  return body;
}
