import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort, spawnApp, stopApp, type RunningApp } from './support/processes';
import { waitFor } from './support/wait';

/**
 * The Grafana dashboard (deploy/grafana/hookgate.json) and the Prometheus rules
 * (deploy/prometheus/rules.yml) name metrics in PromQL; a renamed metric would leave a
 * panel empty or an alert silent without any error. Every metric they name must be one
 * the three built apps expose on /metrics (the gateway's on INBOUND_METRICS_PORT). Metric
 * families are read from the `# TYPE` lines, so a labelled counter nothing has counted yet
 * still counts as present; a histogram's `_bucket`, `_count` and `_sum` belong to it.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..');
/** Series Prometheus makes itself for every target, not the apps. */
const PROMETHEUS_SERIES = new Set(['up']);
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

/** The metric names a PromQL expression selects. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges ($__rate_interval included)
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][\w:]*(?=\s*(\(?))/g)) {
    const [word, call] = [match[0], match[1]];
    if (call === '(' || PROMQL_WORDS.has(word.toLowerCase())) continue;
    const before = bare[match.index - 1];
    if (before !== undefined && /[\w.$]/.test(before)) continue; // part of a number or variable
    names.add(word);
  }
  return [...names];
}

function dashboardQueries(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(
    readFileSync(join(ROOT, 'deploy', 'grafana', 'hookgate.json'), 'utf8'),
  ) as { panels: Panel[] };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  return panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
}

function ruleQueries(): Array<{ where: string; expr: string }> {
  const rules = parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'rules.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  );
}

/** Every sample name a family of the exposition may produce, from its `# TYPE` lines. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_count', '_sum']) names.add(name + suffix);
  }
  return names;
}

describe('dashboard and alert queries against the apps /metrics', () => {
  let running: RunningApp[] = [];
  const exposed = new Set<string>();

  beforeAll(async () => {
    const env = {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: 'deploy-assets-admin-key-0123456789',
    };
    const [inbound, inboundMetrics, admin, dispatcher] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    running = [
      spawnApp('inbound-gateway', {
        ...env,
        INBOUND_PORT: String(inbound),
        INBOUND_METRICS_PORT: String(inboundMetrics),
      }),
      spawnApp('admin', { ...env, ADMIN_PORT: String(admin) }),
      spawnApp('outbound-dispatcher', { ...env, DISPATCHER_PORT: String(dispatcher) }),
    ];
    for (const [i, [health, metrics]] of [
      [inbound, inboundMetrics],
      [admin, admin],
      [dispatcher, dispatcher],
    ].entries()) {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${health}/health/ready`)).status === 200
            ? true
            : undefined,
        { timeoutMs: 60_000, what: `app ready on ${health}; output:\n${running[i].output()}` },
      );
      const res = await fetch(`http://127.0.0.1:${metrics}/metrics`);
      expect(res.status).toBe(200);
      for (const name of exposedNames(await res.text())) exposed.add(name);
    }
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => stopApp(app)));
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route="/x",status=~"5.."}[$__rate_interval]))) / ignoring(x) b_total offset 5m > 0.25',
      ).sort(),
    ).toEqual(['a_bucket', 'b_total']);
    expect(metricNamesIn('up{job="hookgate"} == 0')).toEqual(['up']);
    expect(metricNamesIn('sum(x) + sum(increase(y[15m])) > 400e6')).toEqual(['x', 'y']);
  });

  it('exposes every metric a dashboard panel queries', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const missing = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exposed.has(name) && !PROMETHEUS_SERIES.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('exposes every metric an alert rule queries', () => {
    const queries = ruleQueries();
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const missing = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exposed.has(name) && !PROMETHEUS_SERIES.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('covers throughput, outcomes, latency, backlog and disabled endpoints', () => {
    const used = new Set(dashboardQueries().flatMap(({ expr }) => metricNamesIn(expr)));
    for (const name of [
      'hookgate_inbound_requests_total',
      'hookgate_inbound_events_processed_total',
      'hookgate_outbound_deliveries_total',
      'hookgate_http_request_duration_seconds_bucket',
      'hookgate_outbound_attempt_duration_seconds_bucket',
      'hookgate_queue_depth',
      'hookgate_queue_lag_seconds',
      'hookgate_outbound_endpoints_disabled',
    ]) {
      expect({ name, used: used.has(name) }).toEqual({ name, used: true });
    }
  });
});
