import { isHookgateError, ProcessingConfigurationError } from '../errors/errors';
import { resolveWithTransform } from '../extraction/transforms';
import { ABSENT, type EvaluationScope } from '../extraction/value-source.types';
import type { BodyMode, HttpMethod, QueryRule } from './request.types';
import { BODILESS_METHODS } from './request.types';

/**
 * An outbound endpoint's query rules: each sets one URL query parameter from a value
 * source, the way payload rules set body paths, so a body-less request (GET,
 * `bodyMode: "none"`) can carry payload fields. Values become text: strings as they are,
 * numbers and booleans stringified, `null` an empty value, an array one parameter per
 * item (`tag=a&tag=b`), an object (or an array inside an array) its JSON text. A source
 * that resolves to nothing (and has no default) adds no parameter. The URL encodes names
 * and values (URLSearchParams), so no value can reach the host, the path or the fragment.
 */
export function resolveQueryParams(
  rules: readonly QueryRule[] | undefined,
  scope: EvaluationScope,
): Array<[string, string]> {
  const params: Array<[string, string]> = [];
  for (const rule of rules ?? []) {
    let value: unknown;
    try {
      value = resolveWithTransform(rule, scope);
    } catch (error) {
      const reason = isHookgateError(error) ? error.reason : String(error);
      throw new ProcessingConfigurationError(`Query rule "${rule.name}": ${reason}`, {
        name: rule.name,
      });
    }
    if (value === ABSENT || value === undefined) continue;
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of items) params.push([rule.name, queryText(item)]);
  }
  return params;
}

function queryText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    throw new ProcessingConfigurationError(
      `A query value cannot be encoded as JSON: ${(error as Error).message}`,
    );
  }
}

/** Whether requests of this method carry no body, so only `bodyMode: "none"` fits it. */
export function isBodilessMethod(method: HttpMethod): boolean {
  return BODILESS_METHODS.includes(method);
}

/** Why a method and a body mode do not go together, or null when they do. */
export function bodyModeProblem(method: HttpMethod, bodyMode: BodyMode): string | null {
  if (isBodilessMethod(method) && bodyMode !== 'none') {
    return `a ${method} request carries no body: bodyMode must be "none" (map payload fields to the URL with queryRules)`;
  }
  return null;
}
