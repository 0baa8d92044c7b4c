/**
 * What Postgres can store of text that came from outside (a sender's headers and query, a
 * sink's answer, an error message quoting either). `text` and `jsonb` refuse U+0000, and
 * `jsonb` refuses UTF-16 surrogates that are not part of a pair (`"\ud800"`), both of which
 * a JavaScript string — and valid JSON — can hold. One such character used to fail the
 * whole statement: the row was lost, and with it every other row of its batch.
 *
 * Every column filled from outside goes through here. Both kinds of character become
 * U+FFFD, the replacement character, as a UTF-8 decoder does with bytes it cannot read:
 * the stored text stays readable and the same length, and it shows where something was
 * replaced. Raw bytes that must stay byte-exact (a webhook's body, kept for signature
 * checks) are stored as `bytea` and never pass through here.
 */
export const REPLACEMENT_CHARACTER = '\ufffd';

/** NUL or any surrogate: only a string containing one of these needs the slower look. */
const MAYBE_UNSTORABLE = /[\0\ud800-\udfff]/;

/** The string with NUL and unpaired surrogates replaced by U+FFFD; itself when clean. */
export function storableText(text: string): string {
  if (!MAYBE_UNSTORABLE.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1; // a valid pair: keep both halves
        continue;
      }
    } else if (unit !== 0 && (unit < 0xdc00 || unit > 0xdfff)) {
      continue;
    }
    out += text.slice(from, i) + REPLACEMENT_CHARACTER;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** {@link storableText} for a column that may be null. */
export function storableTextOrNull(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : storableText(text);
}

/**
 * A JSON-shaped value (headers, a query bag, a payload, a snapshot) whose strings and keys
 * are all storable. Answers the value itself when nothing needed replacing, so the common
 * case allocates nothing. Objects are rebuilt with own data properties only, so a
 * `__proto__` key stays an ordinary key (never a prototype). Nesting is the caller's to
 * bound (JSON payloads are depth-checked before they get here).
 */
export function storableJson<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = clean(item);
      if (cleaned !== item && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(cleaned);
    }
    return copy ?? value;
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const entries = Object.entries(value);
  let changed = false;
  const cleanedEntries = entries.map(([key, item]) => {
    const cleanKey = storableText(key);
    const cleanItem = clean(item);
    if (cleanKey !== key || cleanItem !== item) changed = true;
    return [cleanKey, cleanItem] as const;
  });
  if (!changed) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of cleanedEntries) {
    Object.defineProperty(out, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** JSON escapes that may spell NUL or a lone surrogate (may also match an escaped `\\`). */
const MAYBE_UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * `JSON.stringify(value)` for a `json`/`jsonb` column, storable. JSON.stringify spells NUL
 * and lone surrogates as escapes, which `jsonb` refuses just the same; only a text that
 * holds such an escape pays for a walk of the value.
 */
export function storableJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined || !MAYBE_UNSTORABLE_ESCAPE.test(text)) return text;
  return JSON.stringify(storableJson(value));
}
