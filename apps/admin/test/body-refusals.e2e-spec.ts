import type { INestApplication } from '@nestjs/common';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import { send } from '../../../test/support/adversarial';
import { query } from '../../../test/support/database';

/**
 * Found by the adversarial admin suite (issue 21): a JSON body in a charset or content
 * encoding body-parser does not read was answered 500, with or without a key (the body is
 * parsed before the guard runs). It is the client's doing: 415 in the contract shape,
 * nothing stored.
 */
describe('admin API: bodies the parser refuses', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url: url } = await startAdminApp({
      LOG_LEVEL: 'fatal',
      ADMIN_API_KEY: TEST_ADMIN_KEY,
    }));
  });

  afterAll(async () => {
    await app?.close();
  });

  // Three items each: Jest takes a test function with one more parameter than the row
  // has items for a `done` callback.
  const cases: Array<[string, string, Record<string, string>]> = [
    ['an unsupported charset', 'application/json; charset=koi8-r', {}],
    ['an unsupported content encoding', 'application/json', { 'content-encoding': 'compress' }],
  ];

  it.each(cases)('answers 415 to %s, with or without a key', async (_what, contentType, extra) => {
    const code = `refused-${Date.now().toString(36)}`;
    for (const key of [TEST_ADMIN_KEY, undefined]) {
      const answer = await send(
        url,
        {
          method: 'POST',
          target: '/api/v1/handlers',
          body: {
            kind: 'test',
            contentType,
            bytes: Buffer.from(JSON.stringify({ code, name: code, direction: 'inbound' })),
          },
        },
        key,
        30_000,
        extra,
      );
      expect(answer.status).toBe(415);
      expect(JSON.parse(answer.text)).toMatchObject({
        statusCode: 415,
        error: 'Unsupported Media Type',
      });
    }
    expect(
      await query(process.env.DATABASE_URL!, `SELECT 1 FROM handlers WHERE code = $1`, [code]),
    ).toEqual([]);
  });
});
