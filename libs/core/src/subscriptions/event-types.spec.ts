import fc from 'fast-check';
import {
  isSubscribed,
  matchesEventType,
  EVENT_TYPE_PATTERN,
  MAX_EVENT_TYPE_LENGTH,
} from './event-types';

/** The textbook dynamic programme for `*` globs: obviously right, O(n·m), for comparison. */
function referenceMatch(pattern: string, text: string): boolean {
  let row = Array.from({ length: text.length + 1 }, (_, j) => j === 0);
  for (const p of pattern) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    next[0] = p === '*' && row[0];
    for (let j = 1; j <= text.length; j++) {
      next[j] = p === '*' ? row[j] || next[j - 1] : row[j - 1] && p === text[j - 1];
    }
    row = next;
  }
  return row[text.length];
}

function elapsedMs(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

describe('event-type subscriptions', () => {
  it.each([
    ['order.paid', 'order.paid', true],
    ['order.paid', 'order.paid.late', false],
    ['order.*', 'order.paid', true],
    ['order.*', 'order.refund.created', true],
    ['order.*', 'orders.paid', false],
    ['order.*', 'order', false],
    ['*', 'anything.at.all', true],
    ['*.created', 'customer.created', true],
    ['a+b.*', 'a+b.x', true],
    ['a+b.*', 'aab.x', false],
    ['*', '', true],
    ['**', 'a', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*.paid', 'order.paid', true],
    ['*.paid', '.paid', true],
    ['order.*.paid', 'order.paid', false],
    ['order.*.paid', 'order.x.y.paid', true],
    ['*a*b*', 'xxbxxa', false],
    ['*ab*ab*', 'abab', true],
    ['*ab*ab*', 'aba', false],
    ['a.*.c', 'a.b.c.d', false],
    ['a.*', 'a.', true],
    ['(x)*', '(x)y', true],
  ])('%s vs %s → %s', (pattern, type, expected) => {
    expect(matchesEventType(pattern, type)).toBe(expected);
  });

  it('matches when any pattern does', () => {
    expect(isSubscribed(['invoice.*', 'order.paid'], 'order.paid')).toBe(true);
    expect(isSubscribed(['invoice.*'], 'order.paid')).toBe(false);
    expect(isSubscribed([], 'order.paid')).toBe(false);
  });

  it('describes valid types and patterns', () => {
    expect(EVENT_TYPE_PATTERN.test('order.paid')).toBe(true);
    expect(EVENT_TYPE_PATTERN.test('order.*')).toBe(true);
    expect(EVENT_TYPE_PATTERN.test('order..paid')).toBe(false);
    expect(EVENT_TYPE_PATTERN.test('')).toBe(false);
  });

  it('agrees with the reference glob matcher on random patterns and types', () => {
    const text = (maxLength: number, chars: string[]) =>
      fc.array(fc.constantFrom(...chars), { maxLength }).map((c) => c.join(''));
    fc.assert(
      fc.property(text(12, ['a', 'b', '.', '*']), text(16, ['a', 'b', '.']), (pattern, type) => {
        expect(matchesEventType(pattern, type)).toBe(referenceMatch(pattern, type));
      }),
      { seed: 21, numRuns: 5_000 },
    );
  });

  it('stays linear on the pathological pattern that froze the admin (issue 21)', () => {
    // As a backtracking RegExp this pair took 19 s; it grows exponentially with the type.
    const pattern = '*a'.repeat(13);
    const type = 'a'.repeat(35) + 'b';
    let matched: boolean | undefined;
    expect(elapsedMs(() => (matched = matchesEventType(pattern, type)))).toBeLessThan(500);
    expect(matched).toBe(false);
    // The worst the limits allow: a 200-character pattern against a 200-character type,
    // 100 times. Milliseconds in fact; the bound is generous for loaded CI hosts (an
    // exponential matcher would not finish one of them).
    const longest = '*a'.repeat(MAX_EVENT_TYPE_LENGTH / 2);
    const longType = 'a'.repeat(MAX_EVENT_TYPE_LENGTH - 1) + 'b';
    const wrong: string[] = [];
    const ms = elapsedMs(() => {
      for (let i = 0; i < 100; i++) {
        if (matchesEventType(pattern, type)) wrong.push('pathological');
        if (matchesEventType(longest, longType)) wrong.push('longest');
        if (!matchesEventType(longest.slice(0, -1), longType)) wrong.push('longest - 1');
      }
    });
    expect(wrong).toEqual([]);
    expect(ms).toBeLessThan(2_000);
  });
});
