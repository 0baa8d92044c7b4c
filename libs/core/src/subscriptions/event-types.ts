/**
 * Event-type subscriptions of outbound endpoints: `order.paid` matches itself, `order.*`
 * matches every type that starts with `order.`, and `*` matches everything. A `*` stands
 * for any run of characters (dots included), anywhere in the pattern.
 *
 * Matching is a glob walk, not a RegExp: a pattern is an admin's text, and `*a*a*a…` as a
 * backtracking regex is exponential in the event type (thirteen `*a` against 36 characters
 * blocked the event loop 19 s, issue 21). Here the literal parts between stars are found
 * left to right, each at its first place after the previous one: taking the earliest place
 * never loses a match, so nothing is retried and the cost is at most (type length) ×
 * (pattern length) character comparisons, and usually one `indexOf` per part.
 */

/** Longest event type or subscription pattern, in characters (admin API and queue jobs). */
export const MAX_EVENT_TYPE_LENGTH = 200;

export function matchesEventType(pattern: string, eventType: string): boolean {
  if (!pattern.includes('*')) return pattern === eventType;
  const parts = pattern.split('*');
  const head = parts[0];
  const tail = parts[parts.length - 1];
  if (head.length + tail.length > eventType.length) return false;
  if (!eventType.startsWith(head) || !eventType.endsWith(tail)) return false;
  // The middle parts must fit, in order, between the head and the tail.
  const end = eventType.length - tail.length;
  let from = head.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i];
    if (part.length === 0) continue;
    const at = eventType.indexOf(part, from);
    if (at < 0 || at + part.length > end) return false;
    from = at + part.length;
  }
  return true;
}

export function isSubscribed(patterns: readonly string[], eventType: string): boolean {
  return patterns.some((pattern) => matchesEventType(pattern, eventType));
}

/** Event types and patterns: dot-separated words; `*` only in patterns. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/;
