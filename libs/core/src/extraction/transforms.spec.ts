import { ProcessingConfigurationError } from '../errors/errors';
import { applyTransform, resolveWithTransform, toText, VALUE_TRANSFORMS } from './transforms';
import { ABSENT, type ValueTransform } from './value-source.types';

describe('applyTransform', () => {
  it.each<[unknown, ValueTransform, unknown]>([
    ['abc', 'string', 'abc'],
    [42, 'string', '42'],
    [true, 'string', 'true'],
    [10n, 'string', '10'],
    [{ a: 1 }, 'string', '{"a":1}'],
    [new Date('2024-05-01T10:00:00Z'), 'string', '2024-05-01T10:00:00.000Z'],
    ['42', 'number', 42],
    [' -1.5e2 ', 'number', -150],
    [7, 'number', 7],
    [true, 'number', 1],
    [false, 'number', 0],
    [5n, 'number', 5],
    [new Date(1000), 'number', 1000],
    ['true', 'boolean', true],
    ['YES', 'boolean', true],
    ['1', 'boolean', true],
    ['on', 'boolean', true],
    ['false', 'boolean', false],
    ['No', 'boolean', false],
    ['0', 'boolean', false],
    ['', 'boolean', false],
    [false, 'boolean', false],
    [2, 'boolean', true],
    [0, 'boolean', false],
    ['MiXeD', 'lowercase', 'mixed'],
    ['MiXeD', 'uppercase', 'MIXED'],
    [12, 'uppercase', '12'],
    [1_700_000_000, 'iso_date', '2023-11-14T22:13:20.000Z'],
    [1_700_000_000_000, 'iso_date', '2023-11-14T22:13:20.000Z'],
    ['1700000000', 'iso_date', '2023-11-14T22:13:20.000Z'],
    ['2024-05-01T12:00:00+02:00', 'iso_date', '2024-05-01T10:00:00.000Z'],
    [new Date('2024-05-01T10:00:00Z'), 'iso_date', '2024-05-01T10:00:00.000Z'],
    [{ a: [1, 'x'] }, 'json', '{"a":[1,"x"]}'],
    ['s', 'json', '"s"'],
    [null, 'json', 'null'],
    [undefined, 'json', 'null'],
  ])('%p as %s → %p', (value, transform, expected) => {
    expect(applyTransform(value, transform)).toEqual(expected);
  });

  it('passes null through every transform but json', () => {
    for (const transform of VALUE_TRANSFORMS.filter((t) => t !== 'json')) {
      expect(applyTransform(null, transform)).toBeNull();
    }
  });

  it('passes ABSENT through', () => {
    expect(applyTransform(ABSENT, 'number')).toBe(ABSENT);
  });

  it.each<[unknown, ValueTransform, RegExp]>([
    ['abc', 'number', /to a number/],
    ['', 'number', /to a number/],
    ['0x10', 'number', /to a number/],
    [Number.NaN, 'number', /to a number/],
    [Infinity, 'number', /to a number/],
    [{}, 'number', /an object to a number/],
    [[1], 'number', /an array to a number/],
    ['x'.repeat(100), 'number', /…/],
    ['maybe', 'boolean', /to a boolean/],
    [{}, 'boolean', /to a boolean/],
    ['not a date', 'iso_date', /to a date/],
    [Infinity, 'iso_date', /to a date/],
    [1e20, 'iso_date', /to a date/],
    [true, 'iso_date', /to a date/],
    [new Date('invalid'), 'iso_date', /to a date/],
    [10n, 'json', /JSON/],
  ])('refuses %p as %s with a configuration error', (value, transform, reason) => {
    expect(() => applyTransform(value, transform)).toThrow(ProcessingConfigurationError);
    expect(() => applyTransform(value, transform)).toThrow(reason);
  });

  it('refuses an unknown transform', () => {
    expect(() => applyTransform('x', 'rot13' as ValueTransform)).toThrow(
      /Unknown transform "rot13"/,
    );
  });
});

describe('toText', () => {
  it('renders null and undefined as empty text', () => {
    expect(toText(null)).toBe('');
    expect(toText(undefined)).toBe('');
  });
});

describe('resolveWithTransform', () => {
  const scope = { payload: { amount: '12.5', name: 'Ada' } };

  it('resolves then transforms', () => {
    expect(
      resolveWithTransform(
        { source: { kind: 'payload', path: 'amount' }, transform: 'number' },
        scope,
      ),
    ).toBe(12.5);
  });

  it('returns the value untransformed without a transform', () => {
    expect(resolveWithTransform({ source: { kind: 'payload', path: 'name' } }, scope)).toBe('Ada');
  });

  it('uses the default, untransformed, when the source is absent', () => {
    expect(
      resolveWithTransform(
        { source: { kind: 'payload', path: 'missing' }, transform: 'number', default: 'n/a' },
        scope,
      ),
    ).toBe('n/a');
  });

  it('keeps ABSENT when there is no default', () => {
    expect(resolveWithTransform({ source: { kind: 'payload', path: 'missing' } }, scope)).toBe(
      ABSENT,
    );
  });

  it('does not use the default for a present null', () => {
    expect(
      resolveWithTransform(
        { source: { kind: 'literal', value: null }, default: 'fallback' },
        scope,
      ),
    ).toBeNull();
  });
});

describe('number transform on hostile text', () => {
  it('reads a long digit run with a bad ending in linear time (issue 21)', () => {
    const crafted = '1'.repeat(16_000) + 'x';
    const started = process.hrtime.bigint();
    expect(() => applyTransform(crafted, 'number')).toThrow(ProcessingConfigurationError);
    expect(() => applyTransform(crafted, 'iso_date')).toThrow(ProcessingConfigurationError);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
  });
});
