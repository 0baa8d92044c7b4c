/**
 * Trimming runs of one character without a regular expression. `/,+$/` and `/\/+$/` look
 * harmless but are quadratic: the engine retries the run from every position when something
 * else follows it, so 16,000 commas cost ~0.2 s (issue 21). A backwards scan is linear.
 */

/** `text` without the run of `char` at its end (`'a,b,,,'`, `','` → `'a,b'`). */
export function trimTrailing(text: string, char: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === char) end--;
  return end === text.length ? text : text.slice(0, end);
}
