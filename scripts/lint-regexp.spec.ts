import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm run lint` must fail on a super-linear regular expression added anywhere under apps/
 * or libs/ (issue 21): request data reaches many of them, and a backtracking one is a CPU
 * lever for anyone who can send a request. Nor may source build a RegExp at run time, where a
 * user-supplied pattern would become one: those run only through RE2. Lints probe files with the repository's own
 * eslint.config.mjs. The probes are not on disk, so the TypeScript project service cannot
 * type them; the regexp rules need no types, so typed linting is switched off for the probes.
 * ESLint loads its config with a dynamic import, which Jest's module VM refuses, so the
 * ESLint Node API runs in a child Node process (LINT_PROBE below) that prints its results.
 */
const root = resolve(__dirname, '..');

const EXPONENTIAL = 'export const nested = /^(a+)+$/;\n';
const POLYNOMIAL_MOVE = "export const strip = (s: string): string => s.replace(/a*b*c/, '');\n";
const TRAILING_RUN = "export const trim = (s: string): string => s.replace(/,+$/, '');\n";
const LINEAR =
  "export const word = /^[a-z][a-z0-9_-]*$/;\nexport const lead = (s: string): string => s.replace(/^\\/+/, '');\n";

const BUILT =
  'export const built = (input: string): boolean => new RegExp(`^${input}$`).test(input) || RegExp(input).test(input);\n';

const PROBE_PATHS = [
  'apps/inbound-gateway/src/receive/probe.ts',
  'apps/admin/test/probe.e2e-spec.ts',
  'libs/core/src/probe.ts',
  'libs/some-new-lib/src/deep/folder/probe.spec.ts',
];

/** Lints each probe `{ code, filePath }` from stdin; prints ruleId/severity/fatal per probe. */
const LINT_PROBE = `
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
const probes = JSON.parse(process.argv[1]);
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: tseslint.configs.disableTypeChecked,
});
const out = { results: [], rules: {} };
for (const { code, filePath } of probes) {
  const [result] = await eslint.lintText(code, { filePath });
  out.results.push(result.messages.map((m) => ({ ruleId: m.ruleId, severity: m.severity, fatal: !!m.fatal, message: m.message })));
}
const config = await eslint.calculateConfigForFile(probes[0].filePath);
for (const rule of ['regexp/no-super-linear-backtracking', 'regexp/no-super-linear-move']) out.rules[rule] = config.rules[rule];
process.stdout.write(JSON.stringify(out));
`;

interface LintMessage {
  ruleId: string | null;
  severity: number;
  fatal: boolean;
  message: string;
}

async function lintProbes(
  probes: Array<{ code: string; path: string }>,
): Promise<{ results: LintMessage[][]; rules: Record<string, unknown[]> }> {
  const input = probes.map((p) => ({ code: p.code, filePath: resolve(root, p.path) }));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', LINT_PROBE, JSON.stringify(input)],
    { cwd: root, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

describe('lint: super-linear regular expressions are errors under apps/ and libs/', () => {
  const cases = PROBE_PATHS.flatMap((path) => [
    {
      path,
      name: '/^(a+)+$/',
      code: EXPONENTIAL,
      expected: ['regexp/no-super-linear-backtracking'],
    },
    { path, name: '/a*b*c/', code: POLYNOMIAL_MOVE, expected: ['regexp/no-super-linear-move'] },
    { path, name: '/,+$/', code: TRAILING_RUN, expected: ['regexp/no-super-linear-move'] },
    { path, name: 'linear regexes', code: LINEAR, expected: [] },
  ]).concat(
    // Source (not tests) may build no RegExp at run time: user patterns go through RE2.
    ['apps/admin/src/probe.ts', 'libs/outbound/src/deep/probe.ts'].map((path) => ({
      path,
      name: 'new RegExp(input)',
      code: BUILT,
      expected: ['no-restricted-syntax'],
    })),
  );
  let linted: Awaited<ReturnType<typeof lintProbes>>;

  beforeAll(async () => {
    linted = await lintProbes(cases);
  }, 120_000);

  it.each(cases.map((c, i) => [c.path, c.name, c.expected.join(', ') || 'no error', i] as const))(
    '%s with %s → %s',
    (_path, _name, _expected, i) => {
      const messages = linted.results[i];
      expect(messages.filter((m) => m.fatal)).toEqual([]);
      const errors = messages.filter((m) => m.severity === 2).map((m) => m.ruleId);
      expect([...new Set(errors)]).toEqual(cases[i].expected);
    },
  );

  it('makes both rules errors, so `eslint . --max-warnings 0` exits non-zero', () => {
    for (const rule of ['regexp/no-super-linear-backtracking', 'regexp/no-super-linear-move']) {
      expect([2, 'error']).toContain(linted.rules[rule][0]);
    }
  });
});
