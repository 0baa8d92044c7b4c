import {
  REPLACEMENT_CHARACTER as R,
  storableJson,
  storableJsonText,
  storableText,
  storableTextOrNull,
} from './storable';

describe('storableText', () => {
  it('replaces NUL with U+FFFD', () => {
    expect(storableText('a\0b')).toBe(`a${R}b`);
    expect(storableText('\0')).toBe(R);
    expect(storableText('\0\0x\0')).toBe(`${R}${R}x${R}`);
  });

  it('replaces a lone high surrogate, wherever it stands', () => {
    expect(storableText('\ud800')).toBe(R);
    expect(storableText('a\ud800b')).toBe(`a${R}b`);
    expect(storableText('ab\udbff')).toBe(`ab${R}`);
    expect(storableText('\ud800\ud800\udc00')).toBe(`${R}\ud800\udc00`);
  });

  it('replaces a lone low surrogate, wherever it stands', () => {
    expect(storableText('\udc00')).toBe(R);
    expect(storableText('a\udfffb')).toBe(`a${R}b`);
    expect(storableText('\ud83d\ude00\ude00')).toBe(`\ud83d\ude00${R}`);
  });

  it('keeps valid pairs and ordinary text unchanged (the same string)', () => {
    const text = 'plain ✓ é 😀 \u{10ffff} \t\n\u0001';
    expect(storableText(text)).toBe(text);
    expect(storableText('😀😀')).toBe('😀😀');
    expect(storableText('')).toBe('');
  });

  it('keeps the length, and agrees with String#toWellFormed on surrogates', () => {
    const odd = 'x\ud800y\udc00z\0😀\udbff';
    const cleaned = storableText(odd);
    expect(cleaned).toHaveLength(odd.length);
    const wellFormed = (odd as unknown as { toWellFormed(): string }).toWellFormed();
    expect(cleaned).toBe(wellFormed.replaceAll('\0', R));
  });

  it('handles long strings in linear time', () => {
    const long = 'a\0\ud800b😀'.repeat(200_000); // 1.2 M code units
    const started = performance.now();
    const cleaned = storableText(long);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(cleaned).toBe(`a${R}${R}b😀`.repeat(200_000));
    const clean = 'x'.repeat(2_000_000);
    expect(storableText(clean)).toBe(clean);
  });

  it('passes null through storableTextOrNull', () => {
    expect(storableTextOrNull(null)).toBeNull();
    expect(storableTextOrNull(undefined)).toBeNull();
    expect(storableTextOrNull('a\0')).toBe(`a${R}`);
  });
});

describe('storableJson', () => {
  it('answers the same value when nothing needs replacing', () => {
    const value = { a: ['x', 1, null, { b: true }], c: 'é😀' };
    expect(storableJson(value)).toBe(value);
    expect(storableJson('x')).toBe('x');
    expect(storableJson(null)).toBeNull();
    expect(storableJson(7)).toBe(7);
  });

  it('cleans strings and keys at any depth, without touching the input', () => {
    const value = { 'k\0': 'v\0', list: ['ok', '\ud800', { deep: '\udc00' }], same: 'ok' };
    const cleaned = storableJson(value);
    expect(cleaned).toEqual({
      [`k${R}`]: `v${R}`,
      list: ['ok', R, { deep: R }],
      same: 'ok',
    });
    expect(value['k\0']).toBe('v\0');
    expect(JSON.stringify(cleaned)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('keeps a __proto__ key an ordinary key', () => {
    const value = JSON.parse('{"__proto__": {"polluted": "\\u0000"}, "a": "\\u0000"}') as object;
    const cleaned = storableJson(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(cleaned)).toBe(Object.prototype);
    expect(Object.keys(cleaned)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(cleaned)).toBe(`{"__proto__":{"polluted":"${R}"},"a":"${R}"}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('storableJsonText', () => {
  it('is JSON.stringify when nothing needs replacing', () => {
    const value = { a: 'é😀', b: [1, null], c: 'a\\u0000 spelled out' };
    expect(storableJsonText(value)).toBe(JSON.stringify(value));
    expect(storableJsonText(null)).toBe('null');
  });

  it('replaces NUL and lone surrogates that JSON.stringify would escape', () => {
    expect(storableJsonText({ a: 'x\0', b: '\ud800', 'k\udc00': 1 })).toBe(
      `{"a":"x${R}","b":"${R}","k${R}":1}`,
    );
  });
});
