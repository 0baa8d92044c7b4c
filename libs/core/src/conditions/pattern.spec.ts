import { compilePattern, MAX_PATTERN_LENGTH, patternCacheSize, validatePattern } from './pattern';

describe('validatePattern', () => {
  it('accepts RE2 syntax', () => {
    expect(validatePattern('^order\\.(paid|created)$')).toBeNull();
    expect(validatePattern('(?i)^ABC')).toBeNull();
    expect(validatePattern('(a+)+$')).toBeNull();
  });

  it.each([
    ['(a', /invalid or unsupported/],
    ['(?=a)b', /look-around/],
    ['(a)\\1', /back-references/],
    ['x{1001}', /invalid or unsupported/],
    ['(x|xx){1000}!', /too complex/],
  ])('refuses %p', (pattern, reason) => {
    expect(validatePattern(pattern)).toMatch(reason);
  });

  it('refuses patterns over the length limit', () => {
    expect(validatePattern('a'.repeat(MAX_PATTERN_LENGTH + 1))).toMatch(/limit is 1000/);
    expect(validatePattern('a'.repeat(MAX_PATTERN_LENGTH))).toBeNull();
  });

  it('refuses non-strings', () => {
    expect(validatePattern(42)).toMatch(/must be a string/);
    expect(validatePattern(undefined)).toMatch(/must be a string/);
  });
});

describe('compilePattern', () => {
  it('caches compiled patterns and refusals', () => {
    const first = compilePattern('^cache-me$');
    expect(compilePattern('^cache-me$')).toBe(first);
    const refused = compilePattern('(refused');
    expect(compilePattern('(refused')).toBe(refused);
  });

  it('keeps the cache bounded, evicting the least recently used pattern', () => {
    const keep = compilePattern('^keep$');
    const oldest = compilePattern('^p0$');
    for (let i = 1; i < 600; i++) {
      compilePattern(`^p${i}$`);
      if (i % 100 === 0) compilePattern('^keep$'); // recently used, so it survives
    }
    expect(patternCacheSize()).toBeLessThanOrEqual(500);
    expect(compilePattern('^keep$')).toBe(keep);
    expect(compilePattern('^p0$')).not.toBe(oldest);
  });
});
