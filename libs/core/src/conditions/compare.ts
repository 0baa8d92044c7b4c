/**
 * Value comparison for condition operators (SPEC §3). JSON payloads mix types freely — a
 * provider sends `"42"` where a rule says `42` — so equality between a string and a number
 * or boolean compares their string forms, and ordering compares numbers when both sides
 * read as finite decimal numbers, else strings (ISO-8601 dates order correctly as text).
 */

// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter splits a digit run two ways and backtracks.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The string form of a scalar (`42`, `true`, a date's ISO text); undefined otherwise. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return undefined;
}

/** A finite number when the value is one or is a decimal string (hex, `""`, `" "` are not). */
export function finiteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!DECIMAL.test(text)) return undefined;
    const parsed = Number(text);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/**
 * Rule equality: same-type scalars strictly; a string against a number/boolean by string
 * form; dates by ISO text; arrays and objects structurally (key order ignored).
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (a instanceof Date || b instanceof Date) {
    const left = scalarText(a);
    return left !== undefined && left === scalarText(b);
  }
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== 'object' && tb !== 'object') {
    if (ta === tb) return false;
    if (ta === 'string' || tb === 'string') {
      const left = scalarText(a);
      return left !== undefined && left === scalarText(b);
    }
    return false;
  }
  if (ta !== 'object' || tb !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => valuesEqual(item, b[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  return ka.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(ob, key) &&
      valuesEqual((a as Record<string, unknown>)[key], ob[key]),
  );
}

/**
 * Orders two values: numerically when both are finite numbers (or decimal strings), by
 * UTF-16 code units when both are strings/dates, otherwise incomparable (undefined).
 */
export function compareValues(a: unknown, b: unknown): number | undefined {
  const na = finiteNumber(a);
  const nb = finiteNumber(b);
  if (na !== undefined && nb !== undefined) return na === nb ? 0 : na < nb ? -1 : 1;
  const textual = (value: unknown) => typeof value === 'string' || value instanceof Date;
  if (!textual(a) || !textual(b)) return undefined;
  const sa = scalarText(a);
  const sb = scalarText(b);
  if (sa === undefined || sb === undefined) return undefined;
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}
