import fc from 'fast-check';
import type { EvaluationScope } from '../extraction/value-source.types';
import { CONDITION_OPERATORS, type Condition, type ConditionOperator } from '../rules/rule.types';
import { evaluateCondition } from './evaluate-condition';

const scope: EvaluationScope = {
  payload: {
    status: 'paid',
    amount: 1500,
    amountText: '1500',
    live: true,
    tags: ['vip', 'eu', 7],
    items: [{ sku: 'A1' }, { sku: 'B2' }],
    nothing: null,
    createdAt: '2024-03-01T10:00:00Z',
    email: 'ada@example.com',
    nested: { a: 1 },
  },
  headers: { 'x-github-event': 'issues' },
  query: { mode: 'test' },
  semantic: { account: 'acct_1' },
  event: { id: 'evt_1', attempts: 2 },
  context: { region: 'eu' },
  endpoint: { code: 'orders' },
};

function check(
  path: string,
  operator: ConditionOperator,
  value?: unknown,
  source?: Condition['source'],
) {
  return evaluateCondition({ source, path, operator, value }, scope);
}

describe('evaluateCondition', () => {
  describe('sources', () => {
    it.each<[Condition['source'], string, unknown]>([
      [undefined, 'status', 'paid'],
      ['payload', 'items.1.sku', 'B2'],
      ['payload', 'items[0].sku', 'A1'],
      ['headers', 'X-GitHub-Event', 'issues'],
      ['query', 'mode', 'test'],
      ['semantic', 'account', 'acct_1'],
      ['event', 'attempts', 2],
      ['context', 'region', 'eu'],
      ['endpoint', 'code', 'orders'],
    ])('%s %s resolves to %p', (source, path, value) => {
      const log = check(path, '=', value, source);
      expect(log).toEqual({
        source: source ?? 'payload',
        path,
        operator: '=',
        expected: value,
        actual: value,
        result: true,
      });
    });

    it('logs an absent value without `actual`', () => {
      const log = check('missing', '=', 'x');
      expect(log).toEqual({
        source: 'payload',
        path: 'missing',
        operator: '=',
        expected: 'x',
        absent: true,
        result: false,
      });
      expect('actual' in log).toBe(false);
    });

    it('treats a missing header or query value as absent', () => {
      expect(check('x-missing', 'exists', undefined, 'headers')).toMatchObject({
        absent: true,
        result: false,
      });
      expect(check('nope', 'not exists', undefined, 'query')).toMatchObject({
        absent: true,
        result: true,
      });
    });

    it('omits `expected` for operators without a value', () => {
      expect('expected' in check('status', 'exists')).toBe(false);
    });
  });

  describe('operators', () => {
    it.each<[string, ConditionOperator, unknown, boolean]>([
      ['status', '=', 'paid', true],
      ['status', '=', 'Paid', false],
      ['amount', '=', '1500', true],
      ['amountText', '=', 1500, true],
      ['live', '=', 'true', true],
      ['live', '=', true, true],
      ['nothing', '=', null, true],
      ['nested', '=', { a: 1 }, true],
      ['status', '!=', 'open', true],
      ['status', '!=', 'paid', false],
      ['amount', '!=', '1500', false],
      ['status', 'in', ['open', 'paid'], true],
      ['amount', 'in', ['1500', '2000'], true],
      ['status', 'in', [], false],
      ['status', 'not in', ['open'], true],
      ['status', 'not in', ['paid'], false],
      ['email', 'contains', '@example', true],
      ['email', 'contains', 'nope', false],
      ['tags', 'contains', 'vip', true],
      ['tags', 'contains', '7', true],
      ['tags', 'contains', 'v', false],
      ['items', 'contains', { sku: 'A1' }, true],
      ['nested', 'contains', 'a', false],
      ['amount', 'contains', 50, true],
      ['email', 'not contains', 'nope', true],
      ['tags', 'not contains', 'vip', false],
      ['amount', '>', 1000, true],
      ['amountText', '>', '999', true],
      ['amount', '>', '1500', false],
      ['amount', '>=', '1500', true],
      ['amount', '<', 2000, true],
      ['amount', '<=', 1499, false],
      ['createdAt', '>', '2024-02-29T23:59:59Z', true],
      ['createdAt', '<', '2024-03-01T09:00:00Z', false],
      ['status', '>', 10, false],
      ['nested', '<', 'z', false],
      ['status', 'exists', undefined, true],
      ['nothing', 'exists', undefined, false],
      ['nothing', 'not exists', undefined, true],
      ['status', 'not exists', undefined, false],
      ['email', 'starts with', 'ada@', true],
      ['email', 'starts with', 'bob', false],
      ['amount', 'starts with', 15, true],
      ['nested', 'starts with', 'a', false],
      ['status', 'starts with', { a: 1 }, false],
      ['email', 'matches', '^[a-z]+@example\\.com$', true],
      ['email', 'matches', 'EXAMPLE', false],
      ['email', 'matches', '(?i)EXAMPLE', true],
      ['amount', 'matches', '^\\d{4}$', true],
      ['nested', 'matches', '.*', false],
    ])('%s %s %p → %p', (path, operator, value, expected) => {
      const log = check(path, operator, value);
      expect(log.error).toBeUndefined();
      expect(log.result).toBe(expected);
    });

    it.each<[ConditionOperator, unknown, boolean]>([
      ['=', 'x', false],
      ['!=', 'x', true],
      ['in', ['x'], false],
      ['not in', ['x'], true],
      ['contains', 'x', false],
      ['not contains', 'x', true],
      ['>', 1, false],
      ['>=', 1, false],
      ['<', 1, false],
      ['<=', 1, false],
      ['exists', undefined, false],
      ['not exists', undefined, true],
      ['starts with', 'x', false],
      ['matches', '.*', false],
    ])('an absent value: %s → %p', (operator, value, expected) => {
      const log = check('missing.deep', operator, value);
      expect(log.absent).toBe(true);
      expect(log.result).toBe(expected);
    });

    it('covers every operator in the tables above', () => {
      expect(CONDITION_OPERATORS).toHaveLength(14);
    });
  });

  describe('configuration problems are logged, never thrown', () => {
    it('refuses a non-array for in / not in, even for absent values', () => {
      expect(check('status', 'in', 'paid')).toMatchObject({
        result: false,
        error: '"in" needs an array value',
      });
      expect(check('missing', 'not in', 'paid')).toMatchObject({
        result: false,
        error: expect.stringMatching(/array/),
      });
    });

    it('refuses invalid or unsupported patterns', () => {
      expect(check('status', 'matches', '(unclosed')).toMatchObject({
        result: false,
        error: expect.stringMatching(/invalid/),
      });
      expect(check('status', 'matches', '(a)\\1')).toMatchObject({ result: false });
      expect(check('status', 'matches', 42)).toMatchObject({
        result: false,
        error: expect.stringMatching(/string/),
      });
    });

    it('refuses unknown operators and sources and non-string paths', () => {
      expect(check('status', 'like' as ConditionOperator, 'x').error).toMatch(
        /unknown operator "like"/,
      );
      expect(check('status', '=', 'x', 'body' as Condition['source']).error).toMatch(
        /unknown source "body"/,
      );
      expect(
        evaluateCondition({ path: 3 as unknown as string, operator: '=' }, scope).error,
      ).toMatch(/path/);
    });

    it('survives a null condition and a missing scope', () => {
      expect(evaluateCondition(null as unknown as Condition, scope)).toMatchObject({
        result: false,
      });
      expect(
        evaluateCondition(
          { path: 'a', operator: 'exists' },
          undefined as unknown as EvaluationScope,
        ),
      ).toMatchObject({ result: false, absent: true });
    });
  });

  it('runs a catastrophic-backtracking pattern in linear time (RE2)', () => {
    const evil = { payload: { text: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' } };
    expect(
      evaluateCondition({ path: 'text', operator: 'matches', value: '(a+)+$' }, evil).result,
    ).toBe(false);
    expect(
      evaluateCondition({ path: 'text', operator: 'matches', value: '^(a+)+!$' }, evil).result,
    ).toBe(true);
  });

  it('never throws for arbitrary values, paths, operators and sources', () => {
    const operator = fc.oneof(fc.constantFrom(...CONDITION_OPERATORS), fc.string());
    const source = fc.oneof(
      fc.constantFrom(
        'payload',
        'headers',
        'query',
        'semantic',
        'event',
        'context',
        'endpoint',
        undefined,
      ),
      fc.string(),
    );
    const path = fc.oneof(
      fc.string(),
      fc.constantFrom('a', 'a.b', 'a[0]', '0', ''),
      fc.jsonValue(),
    );
    const bag = fc.dictionary(fc.string(), fc.jsonValue());
    fc.assert(
      fc.property(
        fc.jsonValue(),
        path,
        operator,
        fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string({ unit: 'binary' })),
        source,
        bag,
        (payload, p, op, value, src, other) => {
          const log = evaluateCondition(
            { source: src, path: p, operator: op, value } as unknown as Condition,
            {
              payload,
              headers: other as Record<string, string>,
              query: other as Record<string, string>,
              semantic: other,
              event: other,
              context: other,
              endpoint: other,
            },
          );
          expect(typeof log.result).toBe('boolean');
          if (log.error !== undefined) expect(log.result).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
