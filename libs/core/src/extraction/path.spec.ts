import fc from 'fast-check';
import { getPath, isAbsent, MAX_ARRAY_INDEX, parsePath, setPath } from './path';
import { ABSENT } from './value-source.types';

describe('parsePath', () => {
  it('treats dots and brackets alike and drops empty segments', () => {
    expect(parsePath('items[0].sku')).toEqual(['items', '0', 'sku']);
    expect(parsePath('items.0.sku')).toEqual(['items', '0', 'sku']);
    expect(parsePath('a..b.')).toEqual(['a', 'b']);
    expect(parsePath('')).toEqual([]);
    expect(parsePath('[2][3]')).toEqual(['2', '3']);
  });

  it('returns the same segments on a cache hit', () => {
    expect(parsePath('cache.hit')).toBe(parsePath('cache.hit'));
  });

  it('keeps working past the cache limit', () => {
    for (let i = 0; i < 10_050; i++) parsePath(`k${i}`);
    expect(parsePath('after.limit')).toEqual(['after', 'limit']);
  });
});

describe('getPath', () => {
  const doc = {
    data: { object: { status: 'paid', zero: 0, empty: '', nil: null } },
    items: [{ sku: 'A' }, { sku: 'B' }],
  };

  it('reads nested objects and array indexes in both notations', () => {
    expect(getPath(doc, 'data.object.status')).toBe('paid');
    expect(getPath(doc, 'items.1.sku')).toBe('B');
    expect(getPath(doc, 'items[0].sku')).toBe('A');
    expect(getPath(doc, ['items', '0', 'sku'])).toBe('A');
  });

  it('keeps falsy values and null as values', () => {
    expect(getPath(doc, 'data.object.zero')).toBe(0);
    expect(getPath(doc, 'data.object.empty')).toBe('');
    expect(getPath(doc, 'data.object.nil')).toBeNull();
  });

  it('returns the root for an empty path', () => {
    expect(getPath(doc, '')).toBe(doc);
  });

  it('yields ABSENT for anything that leads nowhere', () => {
    expect(getPath(doc, 'data.missing.deeper')).toBe(ABSENT);
    expect(getPath(doc, 'items.5.sku')).toBe(ABSENT);
    expect(getPath(doc, 'items.first')).toBe(ABSENT);
    expect(getPath(doc, 'data.object.status.length')).toBe(ABSENT);
    expect(getPath(doc, 'data.object.nil.x')).toBe(ABSENT);
    expect(getPath(null, 'a')).toBe(ABSENT);
    expect(getPath(undefined, '')).toBe(ABSENT);
    expect(getPath({ a: undefined }, 'a')).toBe(ABSENT);
  });

  it('never reads inherited properties', () => {
    expect(getPath({}, 'constructor')).toBe(ABSENT);
    expect(getPath({}, '__proto__')).toBe(ABSENT);
    expect(getPath({ a: {} }, 'a.toString')).toBe(ABSENT);
    expect(getPath([], 'length')).toBe(ABSENT);
  });

  it('reads an own __proto__ key that JSON.parse created', () => {
    expect(getPath(JSON.parse('{"__proto__":{"x":1}}'), '__proto__.x')).toBe(1);
  });

  it('property: never throws for any JSON value and any path string', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, path) => {
        getPath(value, path);
      }),
      { numRuns: 500 },
    );
  });

  it('property: paths built from a value’s own keys find that value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), fc.jsonValue()), (object) => {
        for (const [key, value] of Object.entries(object)) {
          expect(getPath({ root: object }, `root.${key}`)).toEqual(
            value === undefined ? ABSENT : value,
          );
        }
      }),
    );
  });
});

describe('isAbsent', () => {
  it('is true only for ABSENT', () => {
    expect(isAbsent(ABSENT)).toBe(true);
    expect(isAbsent(undefined)).toBe(false);
    expect(isAbsent(null)).toBe(false);
  });
});

describe('setPath', () => {
  it('creates objects and arrays along the way', () => {
    expect(setPath({}, 'customer.email', 'a@b.c')).toEqual({ customer: { email: 'a@b.c' } });
    expect(setPath({}, 'items.0.sku', 'A')).toEqual({ items: [{ sku: 'A' }] });
    expect(setPath({}, 'items[1]', 'B')).toEqual({ items: [undefined, 'B'] });
  });

  it('mutates and returns an object root, replaces a non-object root', () => {
    const root = { a: { keep: 1 } };
    expect(setPath(root, 'a.b', 2)).toBe(root);
    expect(root).toEqual({ a: { keep: 1, b: 2 } });
    expect(setPath('scalar', 'a', 1)).toEqual({ a: 1 });
    expect(setPath(null, '', 1)).toEqual({});
  });

  it('overwrites scalars in the way with containers', () => {
    expect(setPath({ a: 'x' }, 'a.b', 1)).toEqual({ a: { b: 1 } });
  });

  it('writes into existing arrays by index', () => {
    expect(setPath({ list: ['a', 'b'] }, 'list.1', 'z')).toEqual({ list: ['a', 'z'] });
  });

  it('refuses prototype-polluting segments', () => {
    expect(() => setPath({}, '__proto__.polluted', true)).toThrow(TypeError);
    expect(() => setPath({}, 'a.constructor.prototype.x', true)).toThrow(TypeError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses array indexes that would make a huge sparse array', () => {
    expect(setPath({}, `items.${MAX_ARRAY_INDEX}`, 1)).toHaveProperty(
      `items.${MAX_ARRAY_INDEX}`,
      1,
    );
    expect(() => setPath({}, 'items.4000000000', 1)).toThrow(/Refusing to write array index/);
    expect(() => setPath({ list: [] }, `list.${MAX_ARRAY_INDEX + 1}`, 1)).toThrow(TypeError);
  });

  it('property: what setPath writes, getPath reads back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.stringMatching(/^[a-z]{1,6}$/), fc.nat({ max: 20 }).map(String)), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.jsonValue(),
        (segments, value) => {
          const root = setPath({}, segments.join('.'), value);
          expect(getPath(root, segments)).toEqual(value);
        },
      ),
    );
  });
});
