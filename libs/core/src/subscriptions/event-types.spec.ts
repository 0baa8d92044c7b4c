import { isSubscribed, matchesEventType, EVENT_TYPE_PATTERN } from './event-types';

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
});
