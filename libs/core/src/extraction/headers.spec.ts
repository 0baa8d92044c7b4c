import fc from 'fast-check';
import {
  getHeader,
  getHeaderParam,
  getHeaderValues,
  getQueryValue,
  parseHeaderParams,
} from './headers';

describe('getHeaderValues / getHeader', () => {
  it('finds headers case-insensitively, lower-case first', () => {
    expect(getHeaderValues({ 'x-a': '1' }, 'X-A')).toEqual(['1']);
    expect(getHeaderValues({ 'X-A': '2' }, 'x-a')).toEqual(['2']);
    expect(getHeader({ 'X-Mixed-Case': 'v' }, 'x-mixed-CASE')).toBe('v');
  });

  it('keeps every value of a repeated header, in order', () => {
    expect(getHeaderValues({ 'x-a': ['1', '2'] }, 'x-a')).toEqual(['1', '2']);
    expect(getHeader({ 'x-a': ['1', '2'] }, 'x-a')).toBe('1');
  });

  it('is empty for absent headers, undefined values and no bag', () => {
    expect(getHeaderValues({}, 'x')).toEqual([]);
    expect(getHeaderValues({ x: undefined }, 'x')).toEqual([]);
    expect(getHeaderValues(undefined, 'x')).toEqual([]);
    expect(getHeader({}, 'x')).toBeUndefined();
  });

  it('never returns prototype members for header names like constructor', () => {
    expect(getHeaderValues({}, 'constructor')).toEqual([]);
    expect(getHeaderValues({}, '__proto__')).toEqual([]);
    expect(getHeader({}, 'toString')).toBeUndefined();
    expect(getHeader({ Constructor: 'c' }, 'constructor')).toBe('c');
  });
});

describe('getQueryValue', () => {
  it('returns the first value', () => {
    expect(getQueryValue({ a: '1' }, 'a')).toBe('1');
    expect(getQueryValue({ a: ['1', '2'] }, 'a')).toBe('1');
  });

  it('is undefined for absent keys, no bag and prototype members', () => {
    expect(getQueryValue({}, 'a')).toBeUndefined();
    expect(getQueryValue({ a: undefined }, 'a')).toBeUndefined();
    expect(getQueryValue(undefined, 'a')).toBeUndefined();
    expect(getQueryValue({}, 'constructor')).toBeUndefined();
  });
});

describe('parseHeaderParams', () => {
  const params = (value: string | undefined) => Object.fromEntries(parseHeaderParams(value));

  it('parses Stripe-style lists, keeping repeated keys in order', () => {
    expect(params('t=1492774577,v1=5257a869,v0=6ffbb59b,v1=abc')).toEqual({
      t: ['1492774577'],
      v1: ['5257a869', 'abc'],
      v0: ['6ffbb59b'],
    });
  });

  it('parses RFC-style parameters with quoted values', () => {
    expect(params('a=1; b="two words"; c="say \\"hi\\""')).toEqual({
      a: ['1'],
      b: ['two words'],
      c: ['say "hi"'],
    });
  });

  it('keeps separators inside quoted values', () => {
    expect(params('sig="a,b;c", t=5')).toEqual({ sig: ['a,b;c'], t: ['5'] });
    expect(params('k = "x,y"')).toEqual({ k: ['x,y'] });
  });

  it('treats a quote in the middle of a token as an ordinary character', () => {
    expect(params('a=x"y,b=2')).toEqual({ a: ['x"y'], b: ['2'] });
  });

  it('keeps an unterminated quoted value as written', () => {
    expect(params('a="x,y')).toEqual({ a: ['"x,y'] });
  });

  it('keeps values that contain = (base64 padding)', () => {
    expect(params('v1=abc==,t=1')).toEqual({ v1: ['abc=='], t: ['1'] });
  });

  it('skips pieces without a key or without =', () => {
    expect(params(' , ;=x; novalue; k=')).toEqual({ k: [''] });
    expect(params('')).toEqual({});
    expect(params(undefined)).toEqual({});
  });

  it('property: never throws for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        parseHeaderParams(value);
      }),
      { numRuns: 500 },
    );
    // Strings made of the characters the parser cares about.
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '=', ',', ';', '"', '\\', ' ') }),
        (value) => {
          for (const [key, values] of parseHeaderParams(value)) {
            expect(key.length).toBeGreaterThan(0);
            expect(values.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: unquoted key=value lists round-trip', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_.+/-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(token, token), { maxLength: 6 }), (pairs) => {
        const parsed = parseHeaderParams(pairs.map(([k, v]) => `${k}=${v}`).join(','));
        const expected = new Map<string, string[]>();
        for (const [k, v] of pairs) expected.set(k, [...(expected.get(k) ?? []), v]);
        expect(parsed).toEqual(expected);
      }),
    );
  });
});

describe('getHeaderParam', () => {
  it('returns the first value of a parameter across header values', () => {
    expect(getHeaderParam({ 'stripe-signature': 't=1,v1=a' }, 'Stripe-Signature', 't')).toBe('1');
    expect(getHeaderParam({ sig: ['v1=a', 't=2'] }, 'sig', 't')).toBe('2');
    expect(getHeaderParam({ sig: 'v1=a' }, 'sig', 't')).toBeUndefined();
    expect(getHeaderParam({}, 'sig', 't')).toBeUndefined();
  });
});
