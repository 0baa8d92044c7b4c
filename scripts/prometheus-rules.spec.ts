import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/*
 * deploy/prometheus/rules.yml is what operators load into Prometheus, and docs/operations.md
 * is what they read: promtool must accept the rules and pass their unit tests, and every
 * alert of the docs' table must be a rule with the same expression, `for` and severity,
 * whose runbook link names a section that exists. promtool comes from Debian's `prometheus`
 * package; `.ci/run` installs it. Without it this test fails: a skipped check is no check.
 */

const root = join(__dirname, '..');
const rulesDir = join(root, 'deploy', 'prometheus');
const rulesPath = join(rulesDir, 'rules.yml');
const operationsPath = join(root, 'docs', 'operations.md');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; runbook: string };
}

const rules = (
  parse(readFileSync(rulesPath, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }
).groups.flatMap((group) => group.rules);
const operations = readFileSync(operationsPath, 'utf8');

function promtool(...args: string[]): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd: rulesDir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        `${PROMTOOL} not found: install Debian's prometheus package (apt-get install -y prometheus), ` +
          'as .ci/run does, or point PROMTOOL at a promtool binary',
      );
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The `## Alerts` table of docs/operations.md: alert name → its row's cells. */
function documentedAlerts(): Map<string, { expression: string; for: string; severity: string }> {
  const section = operations.slice(
    operations.indexOf('## Alerts'),
    operations.indexOf('## Runbooks'),
  );
  const rows = new Map<string, { expression: string; for: string; severity: string }>();
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const name = /^`(Hookgate\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (name) rows.set(name, { expression: cells[2], for: cells[3], severity: cells[4] });
  }
  return rows;
}

/** GitHub's anchor of a markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('deploy/prometheus/rules.yml', () => {
  it('passes promtool check rules', () => {
    expect(promtool('check', 'rules', 'rules.yml')).toContain(
      `SUCCESS: ${rules.length} rules found`,
    );
  });

  it('passes its promtool unit tests (rules.test.yml)', () => {
    expect(promtool('test', 'rules', 'rules.test.yml')).toContain('SUCCESS');
  });

  it('has a rule for every alert of the docs table, with the same expression, for and severity', () => {
    const documented = documentedAlerts();
    expect(documented.size).toBeGreaterThanOrEqual(15);
    expect([...new Set(rules.map((rule) => rule.alert))].sort()).toEqual(
      [...documented.keys()].sort(),
    );
    for (const rule of rules) {
      const row = documented.get(rule.alert)!;
      // `max by (queue) (...) > 60`: the docs give the query once and then each threshold.
      const comparison = /^(.*\S)\s*((?:==|>|<)\s*[\d.e]+)$/.exec(squash(rule.expr));
      expect({ alert: rule.alert, comparison: comparison !== null }).toEqual({
        alert: rule.alert,
        comparison: true,
      });
      const [, query, threshold] = comparison!;
      const cell = squash(row.expression).replace(/\\\|/g, '|');
      expect({
        alert: rule.alert,
        query: cell.includes(query),
        threshold: cell.includes(threshold),
      }).toEqual({ alert: rule.alert, query: true, threshold: true });
      expect({ alert: rule.alert, for: rule.for ?? '0m' }).toEqual({
        alert: rule.alert,
        for: row.for,
      });
      expect(row.severity.split('/')).toContain(rule.labels.severity);
    }
  });

  it('gives every rule a summary and a runbook link to a section of docs/operations.md', () => {
    const anchors = new Set(
      operations
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => anchorOf(line.replace(/^#+\s*/, ''))),
    );
    for (const rule of rules) {
      expect(rule.annotations.summary).toEqual(expect.any(String));
      const [file, anchor] = rule.annotations.runbook.split('#');
      expect({ alert: rule.alert, file, known: anchors.has(anchor) }).toEqual({
        alert: rule.alert,
        file: 'docs/operations.md',
        known: true,
      });
    }
  });
});
