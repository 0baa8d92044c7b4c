import { compareValues, finiteNumber, scalarText, valuesEqual } from './compare';

describe('scalarText', () => {
  it('gives the string form of scalars and dates only', () => {
    expect(scalarText('a')).toBe('a');
    expect(scalarText(4.5)).toBe('4.5');
    expect(scalarText(false)).toBe('false');
    expect(scalarText(3n)).toBe('3');
    expect(scalarText(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(scalarText(new Date('x'))).toBeUndefined();
    expect(scalarText(Number.NaN)).toBeUndefined();
    expect(scalarText(null)).toBeUndefined();
    expect(scalarText({})).toBeUndefined();
  });
});

describe('finiteNumber', () => {
  it.each([
    [3, 3],
    ['42', 42],
    [' 1.5 ', 1.5],
    ['-2e3', -2000],
    ['.5', 0.5],
    ['', undefined],
    ['  ', undefined],
    ['0x1f', undefined],
    ['1e999', undefined],
    [Infinity, undefined],
    [true, undefined],
    [null, undefined],
  ])('%p → %p', (value, expected) => {
    expect(finiteNumber(value)).toBe(expected);
  });
});

describe('valuesEqual', () => {
  it.each<[unknown, unknown, boolean]>([
    ['a', 'a', true],
    ['a', 'A', false],
    [42, '42', true],
    ['42', 42, true],
    ['42.0', 42, false],
    [true, 'true', true],
    ['false', false, true],
    [1, true, false],
    [1, 2, false],
    [null, null, true],
    [null, 'null', false],
    [null, undefined, false],
    [0, null, false],
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, c: 2 }, { a: 1, b: 2 }, false],
    [[1, 2], [1, 2], true],
    [[1, 2], [2, 1], false],
    [[1], { 0: 1 }, false],
    [{ a: 1 }, 'x', false],
    [new Date(0), '1970-01-01T00:00:00.000Z', true],
    [new Date(0), new Date(0), true],
    [new Date('x'), 'x', false],
  ])('%p = %p is %p', (a, b, expected) => {
    expect(valuesEqual(a, b)).toBe(expected);
  });
});

describe('compareValues', () => {
  it('orders numbers and numeric strings numerically', () => {
    expect(compareValues('10', 9)).toBe(1);
    expect(compareValues(2, '10')).toBe(-1);
    expect(compareValues('3', '3.0')).toBe(0);
  });

  it('orders other strings by code unit, so ISO dates order in time', () => {
    expect(compareValues('2024-01-10', '2024-01-02')).toBe(1);
    expect(compareValues('2024-01-02T00:00:00Z', '2024-01-02T00:00:01Z')).toBe(-1);
    expect(compareValues('b', 'b')).toBe(0);
    expect(compareValues(new Date(1000), '1970-01-01T00:00:00.500Z')).toBe(1);
  });

  it('leaves incomparable pairs undefined', () => {
    expect(compareValues('abc', 3)).toBeUndefined();
    expect(compareValues(true, false)).toBeUndefined();
    expect(compareValues({}, 'a')).toBeUndefined();
    expect(compareValues(new Date('x'), 'a')).toBeUndefined();
  });
});

describe('finiteNumber on hostile text', () => {
  it('reads a long digit run with a bad ending in linear time (issue 21)', () => {
    // `\d+\.?\d*` could split the run two ways: 16,000 digits and a letter took ~0.45 s.
    const crafted = '1'.repeat(16_000) + 'x';
    const started = process.hrtime.bigint();
    expect(finiteNumber(crafted)).toBeUndefined();
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
  });
});
