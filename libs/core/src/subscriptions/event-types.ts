/**
 * Event-type subscriptions of outbound endpoints: `order.paid` matches itself, `order.*`
 * matches every type that starts with `order.`, and `*` matches everything. A `*` stands
 * for any run of characters (dots included), anywhere in the pattern.
 */
const compiled = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${body}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

export function matchesEventType(pattern: string, eventType: string): boolean {
  return compile(pattern).test(eventType);
}

export function isSubscribed(patterns: readonly string[], eventType: string): boolean {
  return patterns.some((pattern) => matchesEventType(pattern, eventType));
}

/** Event types and patterns: dot-separated words; `*` only in patterns. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/;
