import type { INestApplication } from '@nestjs/common';
import { startAdminApp, TEST_ADMIN_KEY } from '../../../test/support/harness';
import {
  formatCounts,
  runAdversarialSuite,
  type SuiteResult,
} from '../../../test/support/adversarial-suite';

/**
 * The adversarial admin-API suite, short (issue 21): every operation of the OpenAPI
 * document, as a default-tenant operator and publisher, as another tenant's admin and
 * without a key,
 * with seeded fast-check requests made hostile (test/support/adversarial.ts says how and
 * what is checked). The admin app runs in this process, so a property planted on
 * `Object.prototype` is seen at the request that planted it. `FUZZ_SEED=<n>` replays a
 * run, `FUZZ_ONLY='<principal> <METHOD> <path>'` one batch of it; `npm run test:chaos`
 * runs the long version (test/chaos/adversarial-admin.chaos-spec.ts).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 2121);
// 12 requests per operation and principal (~2,700 in all) keeps `npm test` short; the long
// run (150 per operation) is in `npm run test:chaos`, and FUZZ_RUNS raises this one.
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);

jest.setTimeout(300_000);

describe('admin API: adversarial requests from the OpenAPI document', () => {
  let app: INestApplication;
  let url: string;
  let result: SuiteResult;

  beforeAll(async () => {
    ({ app, url: url } = await startAdminApp({
      // FUZZ_LOG_LEVEL=error shows the stack of a 500.
      LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'fatal',
      ADMIN_API_KEY: TEST_ADMIN_KEY,
    }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it(`finds no 5xx, crash, prototype write, cross-tenant change or leak, write by a refused request or configuration change by a lower role (seed ${SEED})`, async () => {
    process.stdout.write(
      `[fuzz] admin API seed=${SEED} runs=${RUNS} (FUZZ_SEED=${SEED} replays it)\n`,
    );
    const started = Date.now();
    result = await runAdversarialSuite(
      { url, adminKey: TEST_ADMIN_KEY, databaseUrl: process.env.DATABASE_URL!, inProcess: true },
      {
        seed: SEED,
        runs: RUNS,
        noKeyRuns: 3,
        only: process.env.FUZZ_ONLY,
        skip: process.env.FUZZ_SKIP,
        shrink: process.env.FUZZ_SHRINK === '1',
        log: (line) => process.stdout.write(`${line}\n`),
      },
    );
    process.stdout.write(
      `[fuzz] admin API seed=${SEED}: ${result.requests} requests in ${Math.round((Date.now() - started) / 1000)} s ` +
        `(answers ${Math.round(result.sendMs / 1000)} s, checks ${Math.round(result.checkMs / 1000)} s), ` +
        `statuses ${JSON.stringify(result.statuses)}, bodies ${JSON.stringify(result.bodyKinds)}, ` +
        `findings ${result.findings.length}\n${formatCounts(result)}\n`,
    );
    expect(result.requests).toBeGreaterThan(0);
    expect(result.findings.map((f) => `${f.batch}: ${f.problem}\n    ${f.request}`)).toEqual([]);
  });
});
