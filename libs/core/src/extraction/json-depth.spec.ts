import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-depth';

describe('jsonNestingExceeds', () => {
  const nest = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

  it('finds nesting past the limit in objects and arrays', () => {
    expect(jsonNestingExceeds(nest(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestingExceeds('['.repeat(20_000) + ']'.repeat(20_000))).toBe(true);
    expect(jsonNestingExceeds(nest(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestingExceeds('[[1]]', 1)).toBe(true);
    expect(jsonNestingExceeds('[1]', 1)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '{[\\"'.repeat(500) });
    expect(jsonNestingExceeds(text, 2)).toBe(false);
  });

  it('counts siblings as one level, and only counts on text that is not JSON', () => {
    expect(jsonNestingExceeds(`[${'[1],'.repeat(1000)}[1]]`, 2)).toBe(false);
    expect(jsonNestingExceeds('{'.repeat(300))).toBe(true);
  });
});
