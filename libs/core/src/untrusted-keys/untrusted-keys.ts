/**
 * The one way Hookgate builds or writes objects from keys it did not choose: query
 * parameter names, form field names, JSON keys of payloads and sink answers, and the dotted
 * paths that filters, rule assignments, payload rules and record lookups write to.
 *
 * A plain assignment `target[key] = value` with `key === '__proto__'` does not create a
 * field: it replaces the target's prototype, and a path walked through `__proto__`,
 * `constructor` or `prototype` reaches `Object.prototype` itself — one query string
 * (`?__proto__.name=x`) then changes every object of the process. So, by what the key is:
 *
 * - A key that is DATA (a field name being copied: JSON, form, headers) is kept, as an own
 *   enumerable data property defined with `Object.defineProperty` ({@link defineOwn}). A
 *   webhook whose body has a `__proto__` field is genuine; it is stored and forwarded with
 *   that field, and nothing reaches a prototype.
 * - A key that is an ADDRESS (a dotted path to write to) is refused when any segment,
 *   dotted or bracketed (`a.__proto__.b`, `a[constructor][prototype]`), is one of
 *   {@link PROTOTYPE_KEYS} ({@link UnsafeKeyError}). No honest filter or configuration
 *   needs one, and a refusal says what went wrong where a silent rename would not. The
 *   admin API answers it with a 400, the workers with an `error` state and the reason.
 * - Reads go through own-property checks ({@link getOwn}), so an inherited member
 *   (`constructor`, `toString`) is never mistaken for a value that is there.
 *
 * Objects stay ordinary (`Object.prototype`), not `Object.create(null)`: payloads flow on
 * into code and libraries that call their methods or compare them with `toEqual`, and own
 * definitions give the same safety without changing what a payload is.
 */

/** Keys that reach prototype machinery when used as property names. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * Array indexes a path may write. `items.4000000000` would make a sparse array whose JSON
 * is billions of `null`s — enough to exhaust a worker's memory when the body is serialised.
 */
export const MAX_ARRAY_INDEX = 10_000;

/**
 * A path or key refused by the rules above. A TypeError, as the path setter always threw:
 * callers that report configuration problems (`writePath`) turn it into a
 * ProcessingConfigurationError; the admin API turns it into a 400.
 */
export class UnsafeKeyError extends TypeError {
  constructor(
    readonly key: string,
    readonly path: string,
    message = `Refusing to write path segment "${key}" in "${path}"`,
  ) {
    super(message);
    this.name = 'UnsafeKeyError';
  }
}

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/**
 * The first prototype key a path names, whether dotted (`__proto__.x`) or bracketed
 * (`a[__proto__][x]`, `a[constructor]`), or undefined when it names none.
 */
export function prototypeKeyIn(path: string): string | undefined {
  return path.split(/[.[\]]/).find(isPrototypeKey);
}

/** Throws {@link UnsafeKeyError} when `path` names a prototype key anywhere. */
export function assertSafePath(path: string): void {
  const key = prototypeKeyIn(path);
  if (key !== undefined) throw new UnsafeKeyError(key, path);
}

/** Whether `target` has `key` as its own property (never an inherited one). */
export function hasOwn(target: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** The own property `key` of `target`, or undefined; inherited members read as absent. */
export function getOwn(target: object, key: PropertyKey): unknown {
  return hasOwn(target, key) ? (target as Record<PropertyKey, unknown>)[key] : undefined;
}

/**
 * Sets `key` on `target` as an own, enumerable, writable data property — what an object
 * literal or JSON.parse would make — so `__proto__` is a field, not the prototype.
 */
export function defineOwn(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A plain object from `[key, value]` pairs, every key kept as data (later pairs win). */
export function objectFromEntries(
  entries: Iterable<readonly [string, unknown]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) defineOwn(out, key, value);
  return out;
}

/**
 * A urlencoded bag from `[key, value]` pairs: the first value of a key is a string, a
 * repeated key becomes an array of its values in order. Keys are data.
 */
export function bagFromPairs(
  pairs: Iterable<readonly [string, string]>,
): Record<string, string | string[]> {
  const bag: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const existing = getOwn(bag, key) as string | string[] | undefined;
    if (existing === undefined) defineOwn(bag, key, value);
    else if (Array.isArray(existing)) existing.push(value);
    else defineOwn(bag, key, [existing, value]);
  }
  return bag;
}

/** Deep copy of arrays and plain objects, keys kept as data; other values are shared. */
export function cloneData<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneData(item)) as T;
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) defineOwn(copy, key, cloneData(item));
    return copy as T;
  }
  return value;
}

export interface WriteOptions {
  /**
   * Whether a numeric segment makes (and indexes) an array where nothing is yet (the
   * value-path semantics: `items.0.sku` → `{ items: [{ sku }] }`). False: every segment is
   * an object key (the records filter, whose paths address JSON objects).
   */
  arrays?: boolean;
}

const INDEX = /^\d+$/;

/**
 * Writes `value` at `segments` inside `root` (mutating it), creating objects — or arrays,
 * see {@link WriteOptions} — along the way, and returns the root (a new object when `root`
 * was not an object). `path` is the text the segments came from, for messages; it is
 * checked too, so a bracketed prototype key inside one segment is refused as well.
 *
 * Refused with {@link UnsafeKeyError}: a prototype key anywhere, an array index above
 * {@link MAX_ARRAY_INDEX}, and a non-index key on an array (`items.length` would resize it;
 * other names vanish when it becomes JSON).
 */
export function writeAt(
  root: unknown,
  segments: readonly string[],
  value: unknown,
  path: string = segments.join('.'),
  options: WriteOptions = {},
): Record<string, unknown> | unknown[] {
  const arrays = options.arrays ?? true;
  assertSafePath(path);
  for (const segment of segments) {
    const key = prototypeKeyIn(segment);
    if (key !== undefined) throw new UnsafeKeyError(key, path);
  }
  const base: Record<string, unknown> | unknown[] =
    root !== null && typeof root === 'object' ? (root as Record<string, unknown>) : {};
  let current: Record<string, unknown> | unknown[] = base;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (Array.isArray(current)) {
      if (!INDEX.test(segment)) {
        throw new UnsafeKeyError(
          segment,
          path,
          `Refusing to write "${segment}" on an array in "${path}" (use an index)`,
        );
      }
      if (Number(segment) > MAX_ARRAY_INDEX) {
        throw new UnsafeKeyError(
          segment,
          path,
          `Refusing to write array index ${segment} in "${path}" (limit ${MAX_ARRAY_INDEX})`,
        );
      }
    }
    if (i === segments.length - 1) {
      defineOwn(current, segment, value);
      break;
    }
    let next = getOwn(current, segment);
    if (next === null || typeof next !== 'object') {
      next = arrays && INDEX.test(segments[i + 1]) ? [] : {};
      defineOwn(current, segment, next);
    }
    current = next as Record<string, unknown> | unknown[];
  }
  return base;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
