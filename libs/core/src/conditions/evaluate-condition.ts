import { getHeader, getQueryValue } from '../extraction/headers';
import { getPath } from '../extraction/path';
import { ABSENT, type EvaluationScope } from '../extraction/value-source.types';
import {
  CONDITION_OPERATORS,
  type Condition,
  type ConditionLog,
  type ConditionOperator,
  type ConditionSource,
} from '../rules/rule.types';
import { compareValues, scalarText, valuesEqual } from './compare';
import { compilePattern } from './pattern';

/**
 * Evaluates one rule condition (SPEC §3) into its execution-log entry: the resolved value,
 * the verdict and, when the condition could not be evaluated, why. It never throws —
 * conditions come from stored configuration and values from untrusted payloads, and a
 * worker must log a bad condition, not crash on it.
 *
 * Absent values: a path that leads nowhere satisfies only the negative operators
 * (`not exists`, `!=`, `not in`, `not contains`). `exists` means "present and not null":
 * a JSON `null` is how providers say "no value", so `exists` is false for it and
 * `not exists` true (while `= null` still matches it).
 */

export const CONDITION_SOURCES: readonly ConditionSource[] = [
  'payload',
  'headers',
  'query',
  'semantic',
  'event',
  'context',
  'endpoint',
];

const OPERATOR_SET = new Set<string>(CONDITION_OPERATORS);
const SOURCE_SET = new Set<string>(CONDITION_SOURCES);

/** Operators that hold for an absent value. */
const TRUE_WHEN_ABSENT = new Set<ConditionOperator>(['not exists', '!=', 'not in', 'not contains']);

class ConditionProblem extends Error {}

export function evaluateCondition(condition: Condition, scope: EvaluationScope): ConditionLog {
  const cond: Partial<Condition> =
    condition !== null && typeof condition === 'object' ? condition : {};
  const source = (cond.source ?? 'payload') as ConditionSource;
  const log: ConditionLog = {
    source,
    path: cond.path as string,
    operator: cond.operator as ConditionOperator,
    result: false,
  };
  if (cond.value !== undefined) log.expected = cond.value;
  try {
    if (!SOURCE_SET.has(source)) throw new ConditionProblem(`unknown source "${String(source)}"`);
    if (typeof cond.path !== 'string') throw new ConditionProblem('path must be a string');
    if (typeof cond.operator !== 'string' || !OPERATOR_SET.has(cond.operator)) {
      throw new ConditionProblem(`unknown operator "${String(cond.operator)}"`);
    }
    const actual = readSource(source, cond.path, scope ?? { payload: undefined });
    if (actual === ABSENT) log.absent = true;
    else log.actual = actual;
    log.result = applyOperator(cond.operator, actual, cond.value);
  } catch (error) {
    log.result = false;
    log.error = error instanceof Error ? error.message : String(error);
  }
  return log;
}

/** The value a condition looks at; ABSENT when there is none. */
export function readSource(source: ConditionSource, path: string, scope: EvaluationScope): unknown {
  switch (source) {
    case 'payload':
      return getPath(scope.payload, path);
    case 'headers':
      return getHeader(scope.headers, path) ?? ABSENT;
    case 'query':
      return getQueryValue(scope.query, path) ?? ABSENT;
    case 'semantic':
      return getPath(scope.semantic, path);
    case 'event':
      return getPath(scope.event, path);
    case 'context':
      return getPath(scope.context, path);
    case 'endpoint':
      return getPath(scope.endpoint, path);
    default:
      throw new ConditionProblem(`unknown source "${String(source)}"`);
  }
}

function applyOperator(operator: ConditionOperator, actual: unknown, expected: unknown): boolean {
  // Configuration problems are reported even when the value is absent, so a broken
  // condition is visible on the first event rather than on the first matching one.
  if ((operator === 'in' || operator === 'not in') && !Array.isArray(expected)) {
    throw new ConditionProblem(`"${operator}" needs an array value`);
  }
  if (operator === 'matches') {
    const compiled = compilePattern(expected);
    if (!compiled.ok) throw new ConditionProblem(compiled.reason);
  }
  if (actual === ABSENT) return TRUE_WHEN_ABSENT.has(operator);

  switch (operator) {
    case '=':
      return valuesEqual(actual, expected);
    case '!=':
      return !valuesEqual(actual, expected);
    case 'in':
      return (expected as unknown[]).some((item) => valuesEqual(actual, item));
    case 'not in':
      return !(expected as unknown[]).some((item) => valuesEqual(actual, item));
    case 'contains':
      return contains(actual, expected);
    case 'not contains':
      return !contains(actual, expected);
    case '>':
      return ordered(actual, expected, (c) => c > 0);
    case '>=':
      return ordered(actual, expected, (c) => c >= 0);
    case '<':
      return ordered(actual, expected, (c) => c < 0);
    case '<=':
      return ordered(actual, expected, (c) => c <= 0);
    case 'exists':
      return actual !== null;
    case 'not exists':
      return actual === null;
    case 'starts with': {
      const text = scalarText(actual);
      const prefix = scalarText(expected);
      return text !== undefined && prefix !== undefined && text.startsWith(prefix);
    }
    case 'matches': {
      const text = scalarText(actual);
      const compiled = compilePattern(expected);
      // Search semantics, like RegExp.test: anchor with ^ and $ to match the whole value.
      return text !== undefined && compiled.ok && compiled.regex.test(text);
    }
    default:
      throw new ConditionProblem(`unknown operator "${String(operator)}"`);
  }
}

/** Substring for scalars, an equal element for arrays; anything else contains nothing. */
function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((item) => valuesEqual(item, expected));
  const text = scalarText(actual);
  const needle = scalarText(expected);
  return text !== undefined && needle !== undefined && text.includes(needle);
}

function ordered(
  actual: unknown,
  expected: unknown,
  holds: (comparison: number) => boolean,
): boolean {
  const comparison = compareValues(actual, expected);
  return comparison !== undefined && holds(comparison);
}
