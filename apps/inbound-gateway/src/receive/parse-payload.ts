import {
  bagFromPairs,
  jsonNestingExceeds,
  MAX_JSON_DEPTH,
  PayloadValidationError,
  storableJson,
  storableText,
} from '@app/core';

export interface ReadPayload {
  /** `payload`: what the rules and the admin API see. */
  value: unknown;
  /**
   * The body's own JSON text, when `jsonb` reads it as the same JSON value, so the writer
   * stores it verbatim instead of serialising `value` again (a JSON.stringify per webhook).
   * Null when the serialised form is needed: not JSON, JSON `null` (stored as SQL NULL),
   * characters `jsonb` cannot hold, or number text `jsonb` would take differently from
   * JSON.parse — any exponent (`jsonb` keeps numbers exact, so `1e131072` would overflow
   * it and `1e9999` bloat it to 10,000 digits, where JSON.parse made both `Infinity`,
   * stored as null) and any run of 309 digits. Other numbers may keep digits a double
   * drops; they read back as the same double.
   */
  jsonText: string | null;
}

/**
 * Number text `jsonb` could take differently from a double (checked on the whole text). The
 * look-behind starts a 309-digit run only where a run starts: bare `\d{309}` re-read up to
 * 308 digits from every digit, so runs of 308 digits made 16 KiB cost ~40 ms (issue 21).
 */
const NUMBER_TEXT_RISK = /\d[eE]|(?<!\d)\d{309}/;

/**
 * Turns a raw body into `payload` by its declared type: JSON and urlencoded forms are
 * parsed; anything else keeps `payload` null (the raw body is always stored).
 *
 * Postgres `jsonb` cannot hold U+0000 or unpaired UTF-16 surrogates, both of which valid
 * JSON can spell (`"\u0000"`, `"\ud800"`). Such a webhook is still genuine, so it is
 * accepted: the raw body stays byte-exact and those characters become U+FFFD in `payload`
 * (storableJson, the one place that decides what is storable). The check is a cheap scan
 * of the text; only bodies that need it are walked.
 */
export function readPayload(contentType: string | undefined, body: Buffer): ReadPayload {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    if (body.length === 0) return { value: null, jsonText: null };
    const text = body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // The parser quotes the body, which may hold NUL: the reason is stored in a text
      // column Postgres refuses NUL in (the chaos fuzzer saw a 503 instead of the 400).
      const detail = storableText(error instanceof Error ? error.message : String(error));
      throw new PayloadValidationError(`body is declared ${type} but is not valid JSON: ${detail}`);
    }
    // Found by the chaos fuzzer: JSON.parse takes thousands of levels, but the writer's
    // JSON.stringify and Postgres' jsonb input recurse and fail (a 503 instead of a 4xx).
    if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
      throw new PayloadValidationError(
        `body nests deeper than ${MAX_JSON_DEPTH} levels, which cannot be stored`,
      );
    }
    if (JSON_UNSTORABLE_ESCAPE.test(text)) return { value: storableJson(parsed), jsonText: null };
    const verbatim = parsed !== null && !NUMBER_TEXT_RISK.test(text);
    return { value: parsed, jsonText: verbatim ? text : null };
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { value: parseUrlEncoded(body.toString('utf8')), jsonText: null };
  }
  return { value: null, jsonText: null };
}

/**
 * A urlencoded form or query string as a bag: repeated keys become arrays. Used for form
 * bodies and for the query string of every webhook request. Field names are the sender's
 * data: `__proto__=x` or `constructor=y` are stored as fields of those names (built by
 * core's untrusted-keys), never read from or written to a prototype.
 */
export function parseUrlEncoded(text: string): Record<string, string | string[]> {
  if (!text) return {};
  const bag = bagFromPairs(new URLSearchParams(text));
  return FORM_UNSTORABLE.test(text) ? storableJson(bag) : bag;
}

/** JSON escapes that can produce characters `jsonb` rejects. */
const JSON_UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;
/** Form encodings that decode to NUL (percent-decoding never yields lone surrogates). */
const FORM_UNSTORABLE = /%00|\0/;
