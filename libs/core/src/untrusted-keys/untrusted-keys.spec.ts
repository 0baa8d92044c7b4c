import fc from 'fast-check';
import { ProcessingConfigurationError } from '../errors/errors';
import { getPath, setPath } from '../extraction/path';
import { cloneData as cloneViaDataPaths, writePath } from '../request/data-paths';
import { setHeader } from '../request/header-merge';
import { applyPayloadRules } from '../request/payload-rules';
import { applyMutations, buildForwardPayload, buildRecordData } from '../rules/rule-effects';
import type { Rule, RuleEvaluation } from '../rules/rule.types';
import {
  bagFromPairs,
  cloneData,
  defineOwn,
  getOwn,
  objectFromEntries,
  prototypeKeyIn,
  UnsafeKeyError,
  writeAt,
} from './untrusted-keys';

/**
 * Issue 21 item 1: objects built from keys Hookgate did not choose never reach a
 * prototype. Every test ends by checking that `Object.prototype` was left alone.
 */

/** Addresses that must be refused wherever a path is written. */
const HOSTILE_PATHS = [
  '__proto__.polluted',
  'a.__proto__.polluted',
  'a.b.c.__proto__.polluted',
  'constructor.prototype.polluted',
  'a.constructor.prototype.polluted',
  'prototype.polluted',
  'a[__proto__][polluted]',
  'a[constructor][prototype][polluted]',
  '[__proto__].polluted',
  'items.0.__proto__.polluted',
  'items[0][__proto__]',
];

/** JSON text whose keys are prototype names, as a webhook sender could send it. */
const HOSTILE_JSON =
  '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},' +
  '"a":{"__proto__":{"polluted":1}},"list":[{"__proto__":{"polluted":1}}]}';

function expectUnpolluted(): void {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
}

afterEach(expectUnpolluted);

describe('prototypeKeyIn', () => {
  it.each(HOSTILE_PATHS)('finds the prototype key in %p', (path) => {
    expect(prototypeKeyIn(path)).toMatch(/^(__proto__|constructor|prototype)$/);
  });

  it.each(['a.b', 'items.0.sku', 'a[b][c]', 'proto', '__proto', 'constructors', 'my.prototype2'])(
    'finds none in %p',
    (path) => {
      expect(prototypeKeyIn(path)).toBeUndefined();
    },
  );
});

describe('writeAt (the one path setter)', () => {
  it.each(HOSTILE_PATHS)('refuses %p with an UnsafeKeyError naming the key', (path) => {
    const segments = path.split('.');
    expect(() => writeAt({}, segments, 1, path)).toThrow(UnsafeKeyError);
    try {
      writeAt({}, segments, 1, path);
    } catch (error) {
      expect((error as UnsafeKeyError).path).toBe(path);
      expect(['__proto__', 'constructor', 'prototype']).toContain((error as UnsafeKeyError).key);
      expect((error as Error).message).toContain(path);
    }
  });

  it('refuses a prototype key hidden in one segment even when the path text is clean', () => {
    expect(() => writeAt({}, ['a', 'x[__proto__]'], 1, 'a.x')).toThrow(UnsafeKeyError);
  });

  it('writes own properties: an inherited member is never walked into', () => {
    const root: Record<string, unknown> = {};
    writeAt(root, ['toString', 'x'], 1);
    expect(root).toEqual({ toString: { x: 1 } });
    expect(Object.prototype.toString).not.toHaveProperty('x');
  });

  it('refuses non-index keys and huge indexes on arrays', () => {
    expect(() => writeAt({ items: [] }, ['items', 'length'], 4_000_000_000)).toThrow(
      UnsafeKeyError,
    );
    expect(() => writeAt({ items: [] }, ['items', 'x'], 1)).toThrow(/on an array/);
    expect(() => writeAt({}, ['items', '4000000000'], 1)).toThrow(/array index/);
  });

  it('with arrays: false, numeric segments are object keys', () => {
    expect(writeAt({}, ['items', '0', 'sku'], 'A', 'items.0.sku', { arrays: false })).toEqual({
      items: { '0': { sku: 'A' } },
    });
  });

  it('property: no path of hostile and ordinary segments reaches a prototype', () => {
    const segment = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'a', '0'),
      fc.constantFrom('[__proto__]', 'x[constructor]', 'hasOwnProperty'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        try {
          writeAt({}, segments, { polluted: true });
          writeAt([], segments, { polluted: true });
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafeKeyError);
        }
        expectUnpolluted();
        expect((Array.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed: 21, numRuns: 500 },
    );
  });
});

describe('data keys are kept as data', () => {
  it('defineOwn makes __proto__ a field, getOwn reads own fields only', () => {
    const target: Record<string, unknown> = {};
    defineOwn(target, '__proto__', { polluted: 1 });
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(['__proto__']);
    expect(JSON.stringify(target)).toBe('{"__proto__":{"polluted":1}}');
    expect(getOwn({}, 'constructor')).toBeUndefined();
    expect(getOwn(target, '__proto__')).toEqual({ polluted: 1 });
  });

  it('objectFromEntries keeps every key', () => {
    const out = objectFromEntries([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(JSON.stringify(out)).toBe('{"__proto__":"x","constructor":"y"}');
  });

  it('bagFromPairs keeps prototype-named fields and repeats them as arrays', () => {
    const bag = bagFromPairs([
      ['__proto__', 'a'],
      ['__proto__', 'b'],
      ['constructor', 'c'],
      ['toString', 'd'],
      ['toString', 'e'],
      ['a[__proto__][polluted]', '1'],
    ]);
    expect(Object.getPrototypeOf(bag)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(bag))).toEqual(
      JSON.parse(
        '{"__proto__":["a","b"],"constructor":"c","toString":["d","e"],"a[__proto__][polluted]":"1"}',
      ),
    );
  });

  it('cloneData copies __proto__ keys as fields at any depth', () => {
    const source: unknown = JSON.parse(HOSTILE_JSON);
    const copy = cloneData(source);
    expect(JSON.stringify(copy)).toBe(HOSTILE_JSON);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.getPrototypeOf((copy as { a: object }).a)).toBe(Object.prototype);
    expect(cloneViaDataPaths).toBe(cloneData);
  });

  it('setHeader keeps a header named __proto__ as a header', () => {
    const headers: Record<string, string> = {};
    setHeader(headers, '__proto__', 'x');
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
  });
});

describe('every value-path setter refuses prototype paths', () => {
  /** A forward rule; without assignments it forwards the event payload itself. */
  function evaluation(assignments: RuleEvaluation['assignments'] | null): RuleEvaluation {
    const rule = {
      sequence: 1,
      name: 'r',
      conditions: [],
      action: 'forward',
      assignments: assignments ? [{ field: 'x', source: { kind: 'literal', value: 1 } }] : [],
    } as Rule;
    return {
      matchedRule: rule,
      action: 'forward',
      assignments: assignments ?? [],
      lookups: [],
      log: {
        direction: 'inbound',
        mode: 'rules',
        rules: [],
        matchedRule: null,
        action: 'forward',
        assignments: [],
        lookups: [],
        records: [],
      },
    };
  }
  const scope = { payload: { v: 1 }, context: {}, event: {} };

  const setters: Array<[string, (path: string) => unknown]> = [
    ['setPath', (path) => setPath({}, path, { polluted: 1 })],
    ['writePath', (path) => writePath({}, path, { polluted: 1 })],
    [
      'applyPayloadRules',
      (path) =>
        applyPayloadRules(
          { v: 1 },
          [{ path, source: { kind: 'literal', value: { polluted: 1 } } }],
          false,
          scope,
        ),
    ],
    [
      'buildForwardPayload',
      (path) => buildForwardPayload(evaluation([{ field: path, value: 1 }]), {}),
    ],
    ['buildRecordData', (path) => buildRecordData([{ field: path, value: 1 }])],
    ['applyMutations', (path) => applyMutations({}, {}, [{ field: path, value: 1 }])],
  ];

  describe.each(setters)('%s', (name, set) => {
    it.each(HOSTILE_PATHS)('refuses %p', (path) => {
      expect(() => set(path)).toThrow(
        name === 'setPath' ? TypeError : ProcessingConfigurationError,
      );
    });
  });

  it('copies hostile payload keys as data when forwarding, mutating and applying rules', () => {
    const payload: unknown = JSON.parse(HOSTILE_JSON);
    const forwarded = buildForwardPayload(evaluation(null), payload);
    expect(JSON.stringify(forwarded)).toBe(HOSTILE_JSON);
    const applied = applyPayloadRules(
      payload,
      [{ path: 'a.extra', source: { kind: 'literal', value: 2 } }],
      false,
      { payload, context: {}, event: {} },
    );
    expect(getPath(applied, 'a.__proto__.polluted')).toBe(1);
    expect(getPath(applied, 'a.extra')).toBe(2);
    // Read as code would, inherited members included: the copy's prototype is untouched.
    expect((applied as { a: Record<string, unknown> }).a.polluted).toBeUndefined();
    const mutated = applyMutations(payload, {}, [{ field: 'b', value: 3 }]);
    expect(getPath(mutated.payload, '__proto__.polluted')).toBe(1);
    expect((mutated.payload as Record<string, unknown>).polluted).toBeUndefined();
    const record = buildRecordData([{ field: 'copy', value: payload }]);
    expect(JSON.stringify(record)).toBe(`{"copy":${HOSTILE_JSON}}`);
  });
});
