/**
 * How deep JSON may nest. `JSON.parse` accepts bodies thousands of levels deep, but
 * `JSON.stringify`, validators that walk objects and Postgres' jsonb input all recurse per
 * level and fail on them ("Maximum call stack size exceeded", "stack depth limit
 * exceeded"). Real webhooks and API bodies nest a few levels.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether JSON text nests deeper than `limit`: one pass over the characters, string
 * contents skipped, no recursion. Safe on text that is not valid JSON (it only counts).
 */
export function jsonNestingExceeds(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  if (text.length <= limit * 2) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
