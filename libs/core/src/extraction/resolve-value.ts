import { getHeader, getQueryValue } from './headers';
import { getPath } from './path';
import { ABSENT, type EvaluationScope, type ValueSource } from './value-source.types';

/**
 * Resolves a value source (SPEC §3 "Value source") against an evaluation scope. This is
 * the one place that knows where each source kind reads from; assignments, lookups,
 * semantic bindings and payload rules all go through it. A value that is not there is
 * ABSENT — never an exception, whatever the scope or (hand-edited) source holds.
 */
export function resolveValue(source: ValueSource, scope: EvaluationScope): unknown {
  if (source === null || typeof source !== 'object') return ABSENT;
  switch (source.kind) {
    case 'payload':
      return typeof source.path === 'string' ? getPath(scope.payload, source.path) : ABSENT;
    case 'header':
      return typeof source.name === 'string'
        ? (getHeader(scope.headers, source.name) ?? ABSENT)
        : ABSENT;
    case 'query':
      return typeof source.name === 'string'
        ? (getQueryValue(scope.query, source.name) ?? ABSENT)
        : ABSENT;
    case 'semantic':
      return lookupNamed(scope.semantic, source.name);
    case 'event':
      return lookupNamed(scope.event, source.field);
    case 'context':
      return lookupNamed(scope.context, source.key);
    case 'literal':
      return source.value === undefined ? ABSENT : source.value;
    default:
      // Sources arrive as JSON from configuration; an unknown kind resolves to nothing.
      return ABSENT;
  }
}

/**
 * Named bags (semantic values, event fields, context keys) are read by exact key first, so
 * a name that contains a dot still works; otherwise the name is treated as a path, so
 * `customer.email` reaches into a semantic value that is an object.
 */
function lookupNamed(bag: Record<string, unknown> | undefined, name: unknown): unknown {
  if (bag === null || typeof bag !== 'object' || typeof name !== 'string') return ABSENT;
  if (Object.prototype.hasOwnProperty.call(bag, name)) {
    const value = bag[name];
    return value === undefined ? ABSENT : value;
  }
  return getPath(bag, name);
}
