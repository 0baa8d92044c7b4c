import { formatCounts, runAdversarialSuite, type SuiteResult } from '../support/adversarial-suite';
import { report } from './support/counts';
import { PrivateRedis } from './support/private-redis';
import { profile, sized } from './support/profile';
import { CHAOS_ADMIN_KEY, Stack } from './support/stack';

/**
 * The adversarial admin-API suite, long (issue 21; the short run is
 * apps/admin/test/adversarial.e2e-spec.ts): the same generators and checks against the
 * built admin app in its own process, so a prototype write that kills the process shows
 * as a crash, and a planted property as a canary answer that moved. `full` sends many
 * more requests per operation with a fresh seed each run (printed; `FUZZ_SEED=<n>`
 * replays it, `FUZZ_ONLY='<principal> <METHOD> <path>'` one batch).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? sized(150, 6));
const SEED = Number(process.env.FUZZ_SEED ?? (profile === 'ci' ? 2121 : Date.now() % 1e9));

jest.setTimeout(sized(3_600_000, 300_000));

describe('chaos: adversarial admin API', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let result: SuiteResult;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await Stack.start({ redisUrl: redis.url, apps: ['admin'] });
  });

  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it(`${RUNS} requests per operation and principal: no 5xx, crash, prototype write, cross-tenant change, write by a refusal or configuration change by a lower role`, async () => {
    process.stdout.write(
      `[chaos] adversarial admin seed=${SEED} runs=${RUNS} (FUZZ_SEED=${SEED} replays it)\n`,
    );
    const started = Date.now();
    result = await runAdversarialSuite(
      {
        url: stack.url('admin'),
        adminKey: CHAOS_ADMIN_KEY,
        databaseUrl: process.env.DATABASE_URL!,
        inProcess: false,
        crashes: () => stack.crashes(),
        restart: () => stack.startApp('admin'),
      },
      {
        seed: SEED,
        runs: RUNS,
        noKeyRuns: Math.max(3, Math.round(RUNS / 6)),
        only: process.env.FUZZ_ONLY,
        skip: process.env.FUZZ_SKIP,
        shrink: process.env.FUZZ_SHRINK === '1',
        log: (line) => process.stdout.write(`${line}\n`),
      },
    );
    process.stdout.write(`${formatCounts(result)}\n`);
    report('adversarial-admin', {
      sent: result.requests,
      acknowledged: Object.entries(result.statuses)
        .filter(([s]) => Number(s) >= 200 && Number(s) < 300)
        .reduce((a, [, n]) => a + n, 0),
      stored: 0,
      processed: 0,
      lost: 0,
      duplicatedEffect: 0,
      extra: {
        seed: SEED,
        seconds: Math.round((Date.now() - started) / 1000),
        statuses: JSON.stringify(result.statuses),
        bodies: JSON.stringify(result.bodyKinds),
        findings: result.findings.length,
      },
    });
    expect(stack.crashes()).toEqual([]);
    expect(result.findings.map((f) => `${f.batch}: ${f.problem}\n    ${f.request}`)).toEqual([]);
  });
});
