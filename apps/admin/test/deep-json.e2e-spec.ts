import { startHarness, TEST_ADMIN_KEY, type Harness } from '../../../test/support/harness';

/**
 * Found by the chaos fuzzer: a JSON body thousands of levels deep parsed fine, then the
 * validation and the database recursed on it and the admin API answered 500. It is bad
 * input: 400 in the contract shape, nothing stored.
 */
describe('admin API: JSON nested too deep', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

  it.each(['/handlers', '/deliveries', '/outbound-endpoints'])(
    'POST %s answers 400 and stores nothing',
    async (path) => {
      const body = `{"code":"deep-json","name":"deep","endpoint":"deep-json","payload":${deep(3000)}}`;
      const res = await fetch(`${harness.adminUrl}/api/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      const answer = (await res.json()) as Record<string, unknown>;
      expect(answer).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(String(answer.message)).toContain('128');
      expect((await harness.admin('/handlers')).body.items ?? []).not.toContainEqual(
        expect.objectContaining({ code: 'deep-json' }),
      );
    },
  );

  it('still takes JSON nested within the limit', async () => {
    const res = await harness.admin('/deliveries', {
      body: { endpoint: 'no-such-endpoint', payload: JSON.parse(deep(100)) },
    });
    expect(res.status).toBeLessThan(300);
  });
});
