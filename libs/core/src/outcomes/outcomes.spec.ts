import { ProcessingConfigurationError } from '../errors/errors';
import type { OutboundRequest } from '../request/request.types';
import { normalizeOutcome } from './normalize-outcome';
import { cancel, deadLetter, done, retry, send } from './outcome-helpers';
import type { InboundOutcome } from './outcome.types';

const request: OutboundRequest = {
  method: 'POST',
  url: 'https://example.com/hook',
  headers: { 'Content-Type': 'application/json' },
  bodyMode: 'json',
  body: Buffer.from('{}'),
};

describe('outcome helpers', () => {
  it('build each variant', () => {
    expect(done()).toEqual({ type: 'done' });
    expect('note' in done()).toBe(false);
    expect(done('synced')).toEqual({ type: 'done', note: 'synced' });
    expect(deadLetter('no customer')).toEqual({ type: 'dead_letter', reason: 'no customer' });
    expect(retry(30)).toEqual({ type: 'retry', seconds: 30 });
    expect(retry(0)).toEqual({ type: 'retry', seconds: 0 });
    expect(cancel()).toEqual({ type: 'cancel' });
    expect(cancel('connector inactive')).toEqual({ type: 'cancel', reason: 'connector inactive' });
    expect(send()).toEqual({ type: 'send' });
    expect(send(request)).toEqual({ type: 'send', request });
  });

  it('type inbound helpers as inbound outcomes', () => {
    const outcomes: InboundOutcome[] = [done(), deadLetter('x'), retry(1), cancel()];
    expect(outcomes).toHaveLength(4);
  });

  it.each([-1, Number.NaN, Infinity, '5' as unknown as number])('retry(%p) throws', (seconds) => {
    expect(() => retry(seconds)).toThrow(ProcessingConfigurationError);
  });
});

describe('normalizeOutcome', () => {
  it.each([undefined, null])('turns %p into a framework dead_letter', (value) => {
    expect(normalizeOutcome(value, 'inbound')).toEqual({
      type: 'dead_letter',
      reason: 'callback returned no outcome',
    });
  });

  it('returns fresh objects with only the known fields', () => {
    const returned = { type: 'done', note: 'ok', extra: true };
    const outcome = normalizeOutcome(returned, 'inbound');
    expect(outcome).toEqual({ type: 'done', note: 'ok' });
    expect(outcome).not.toBe(returned);
  });

  it.each<[unknown, 'inbound' | 'outbound', unknown]>([
    [done(), 'inbound', { type: 'done' }],
    [deadLetter('why'), 'outbound', { type: 'dead_letter', reason: 'why' }],
    [retry(10), 'inbound', { type: 'retry', seconds: 10 }],
    [cancel(), 'outbound', { type: 'cancel' }],
    [cancel('r'), 'inbound', { type: 'cancel', reason: 'r' }],
    [send(), 'outbound', { type: 'send' }],
    [send(request), 'outbound', { type: 'send', request }],
  ])('keeps a valid %p (%s)', (value, direction, expected) => {
    expect(normalizeOutcome(value, direction)).toEqual(expected);
  });

  it.each<[unknown, 'inbound' | 'outbound', RegExp]>([
    ['done', 'inbound', /returned "done" instead of an outcome/],
    [42, 'inbound', /returned number 42 instead/],
    [[], 'inbound', /returned an array instead/],
    [() => done(), 'inbound', /returned a function instead/],
    [{}, 'inbound', /unknown type undefined/],
    [{ type: 'finish' }, 'outbound', /unknown type "finish"/],
    [{ type: 'done', note: 1 }, 'inbound', /non-string note/],
    [{ type: 'dead_letter' }, 'inbound', /needs a reason/],
    [{ type: 'dead_letter', reason: '' }, 'inbound', /needs a reason/],
    [{ type: 'retry', seconds: -5 }, 'inbound', /seconds ≥ 0, got number -5/],
    [{ type: 'retry' }, 'inbound', /got undefined/],
    [{ type: 'cancel', reason: {} }, 'inbound', /non-string reason/],
    [send(), 'inbound', /send is an outbound outcome/],
    [{ type: 'send', request: 'x' }, 'outbound', /invalid request: not an object/],
    [{ type: 'send', request: { ...request, method: 'OPTIONS' } }, 'outbound', /method "OPTIONS"/],
    [{ type: 'send', request: { ...request, url: '' } }, 'outbound', /url/],
    [{ type: 'send', request: { ...request, bodyMode: 'xml' } }, 'outbound', /bodyMode "xml"/],
    [{ type: 'send', request: { ...request, body: '{}' } }, 'outbound', /Buffer/],
    [
      { type: 'send', request: { ...request, headers: null } },
      'outbound',
      /headers must be an object/,
    ],
    [
      { type: 'send', request: { ...request, headers: { a: 1 } } },
      'outbound',
      /header "a" must be a string/,
    ],
  ])('dead-letters %p (%s)', (value, direction, reason) => {
    const outcome = normalizeOutcome(value, direction);
    expect(outcome.type).toBe('dead_letter');
    expect((outcome as { reason: string }).reason).toMatch(reason);
  });

  it('shortens long strings in reasons', () => {
    const outcome = normalizeOutcome('x'.repeat(100), 'inbound') as { reason: string };
    expect(outcome.reason.length).toBeLessThan(100);
  });
});
