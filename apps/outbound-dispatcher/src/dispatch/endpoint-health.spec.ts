import { describeSpan } from './endpoint-health';

describe('describeSpan', () => {
  it.each([
    [59.7, '59 s'],
    [119, '119 s'],
    [660.2, '11 min'],
    [7199, '119 min'],
    [7200, '2 h'],
    [47 * 3600, '47 h'],
    [5 * 86_400 + 60, '5 days'],
  ])('%d seconds read as %s', (seconds, text) => {
    expect(describeSpan(seconds)).toBe(text);
  });
});
