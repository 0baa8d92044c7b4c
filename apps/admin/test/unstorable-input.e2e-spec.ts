import { startHarness, type Harness } from '../../../test/support/harness';
import { unique } from '../../../test/support/fixtures';

/**
 * Issue 21 item 5, admin side: a NUL (refused by Postgres in text, jsonb and as a query
 * parameter) or an unpaired surrogate (refused by jsonb) in a body, query or path
 * parameter is a 400 naming the part, not the 500 its failing statement became.
 */
describe('admin input Postgres cannot store', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const handler = (name: string) => ({
    code: unique('h'),
    name,
    direction: 'inbound',
    executionMode: 'rules',
  });

  it.each([
    ['a NUL in a body string', 'POST', '/handlers', handler('n\u0000x'), 'body'],
    ['a lone surrogate in a body string', 'POST', '/handlers', handler('n\ud800x'), 'body'],
    [
      'a NUL in a published payload',
      'POST',
      '/deliveries',
      { endpoint: 'e', payload: { a: '\u0000' } },
      'body',
    ],
    ['a NUL in a search', 'GET', '/inbound-events?q=a%00b', undefined, 'query'],
    ['a NUL in a filter', 'GET', '/inbound-events?endpoint=a%00b', undefined, 'query'],
  ])('answers 400 to %s', async (_what, method, path, body, field) => {
    const res = await harness.admin(path, { method, body });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field, problems: [expect.stringContaining('NUL')] }]);
  });

  it('still takes ordinary text, emoji (valid pairs) included', async () => {
    const res = await harness.admin('/handlers', { body: handler('name 😀 ✓') });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('name 😀 ✓');
  });
});
