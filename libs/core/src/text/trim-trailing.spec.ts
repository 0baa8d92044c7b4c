import { trimTrailing } from './trim-trailing';

describe('trimTrailing', () => {
  it.each([
    ['v1,abc,', ',', 'v1,abc'],
    ['v1,abc,,,', ',', 'v1,abc'],
    ['v1,abc', ',', 'v1,abc'],
    [',,,', ',', ''],
    ['', ',', ''],
    ['https://x.test///', '/', 'https://x.test'],
    [',a', ',', ',a'],
  ])('%j without trailing %j → %j', (text, char, expected) => {
    expect(trimTrailing(text, char)).toBe(expected);
  });

  it('is linear: a long run followed by another character costs one pass', () => {
    const crafted = ','.repeat(1_000_000) + 'x';
    const started = process.hrtime.bigint();
    expect(trimTrailing(crafted, ',')).toBe(crafted);
    expect(trimTrailing(','.repeat(1_000_000), ',')).toBe('');
    // The old /,+$/ needs minutes for a million commas plus a suffix; generous for CI noise.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1_000);
  });
});
