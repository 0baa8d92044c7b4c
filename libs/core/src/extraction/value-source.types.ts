/** Where a value comes from, for assignments, lookups, semantic bindings and payload rules. */
export type ValueSource =
  | { kind: 'payload'; path: string }
  | { kind: 'header'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'semantic'; name: string }
  | { kind: 'event'; field: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'context'; key: string };

export type ValueSourceKind = ValueSource['kind'];

/** Value transforms applied after resolution (assignments and payload rules). */
export type ValueTransform =
  'string' | 'number' | 'boolean' | 'lowercase' | 'uppercase' | 'iso_date' | 'json';

/** Headers as received: names in any case, values single or repeated. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** Query string values as parsed: single or repeated. */
export type QueryBag = Record<string, string | string[] | undefined>;

/**
 * Everything a value source or condition may read. Inbound evaluation fills payload,
 * headers, query, semantic and event; outbound fills payload, context, endpoint and event.
 */
export interface EvaluationScope {
  payload: unknown;
  headers?: HeaderBag;
  query?: QueryBag;
  semantic?: Record<string, unknown>;
  event?: Record<string, unknown>;
  context?: Record<string, unknown>;
  endpoint?: Record<string, unknown>;
}

/** Marker for "no value here" — distinct from `null`, which is a value. */
export const ABSENT: unique symbol = Symbol('absent');
export type Absent = typeof ABSENT;
