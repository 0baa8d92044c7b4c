#!/usr/bin/env node
// Measures the operator console against a running admin app, typically one on the 1M-row
// database of bench/seed-scale.mjs (see docs/console/README.md). Not part of `npm test`:
// it runs only when CONSOLE_SCALE_URL is set.
//
//   CONSOLE_SCALE_URL=http://127.0.0.1:PORT CONSOLE_SCALE_KEY=<admin key> \
//     node apps/console/scripts/measure-scale.mjs [--runs 5]
//
// 1. In Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) it signs in through the
//    sign-in form, then for each list view measures the time from navigation to the first
//    data shown: cold (a fresh browser context, so no HTTP cache and no query cache; the key
//    is put in sessionStorage before the page's scripts run, as signing in leaves it) and
//    warm (a reload of that page: the bundle from the HTTP cache, the data fetched again);
//    median of 3 (or of --runs, if fewer).
// 2. With plain fetch it times the heaviest admin API list calls the console makes
//    (first page, filtered pages, the 3rd page by cursor, /stats): median of --runs.
import { chromium } from '@playwright/test';

const base = process.env.CONSOLE_SCALE_URL;
const key = process.env.CONSOLE_SCALE_KEY ?? process.env.ADMIN_API_KEY;
if (!base || !key) {
  process.stderr.write(
    'set CONSOLE_SCALE_URL (the admin app) and CONSOLE_SCALE_KEY (an admin key)\n',
  );
  process.exit(2);
}
const { hostname } = new URL(base);
if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) {
  throw new Error(`measure only a loopback admin app, got ${hostname}`);
}
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
const PAGE = 25; // the console's page size (apps/console/src/components/common.tsx)

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value) => `${Math.round(value)} ms`;

async function api(path) {
  const started = performance.now();
  const response = await fetch(new URL(path, base), {
    headers: { authorization: `Bearer ${key}` },
  });
  const body = await response.json();
  const elapsed = performance.now() - started;
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return { body, elapsed };
}

// ---- the views, in the browser ------------------------------------------------------------
const VIEWS = [
  {
    name: 'Overview (/stats, 7 days)',
    path: '/console/',
    ready: (p) => p.getByText('Volume per day'),
  },
  {
    name: 'Inbound events',
    path: '/console/events',
    ready: (p) => p.locator('table[aria-label="Inbound events"] tbody tr').first(),
  },
  {
    name: 'Inbound events, state=dead_letter',
    path: '/console/events?state=dead_letter',
    ready: (p) => p.locator('table[aria-label="Inbound events"] tbody tr').first(),
  },
  {
    // The search box ("Id or identity"): the newest event's delivery identity.
    name: 'Inbound events, q=<delivery identity>',
    path: async () => {
      const { body } = await api('/api/v1/inbound-events?limit=1&state=done');
      return `/console/events?q=${encodeURIComponent(body.items[0].deliveryIdentity)}`;
    },
    ready: (p) => p.locator('table[aria-label="Inbound events"] tbody tr').first(),
  },
  {
    name: 'Deliveries',
    path: '/console/deliveries',
    ready: (p) => p.locator('table[aria-label="Deliveries"] tbody tr').first(),
  },
  {
    name: 'Deliveries, state=canceled',
    path: '/console/deliveries?state=canceled',
    ready: (p) => p.locator('table[aria-label="Deliveries"] tbody tr').first(),
  },
  {
    // The seed writes no audit entries: the view shows its entries or its empty state.
    name: 'Audit log',
    path: '/console/audit',
    ready: (p) =>
      p.locator('[aria-label="Audit entries"]').or(p.getByText('Nothing recorded here')).first(),
  },
];

async function measureViews(browser) {
  const launchOptions = { viewport: { width: 1280, height: 800 }, baseURL: base };
  // Sign in once through the form, as an operator would, to check the key and the flow.
  {
    const context = await browser.newContext(launchOptions);
    const page = await context.newPage();
    await page.goto('/console/');
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('principal-role').waitFor({ timeout: 60_000 });
    await context.close();
  }
  const rows = [];
  for (const view of VIEWS) {
    const path = typeof view.path === 'function' ? await view.path() : view.path;
    const cold = [];
    const warm = [];
    const loads = [];
    let bytes = 0;
    for (let run = 0; run < Math.min(RUNS, 3); run++) {
      const context = await browser.newContext(launchOptions);
      await context.addInitScript((value) => sessionStorage.setItem('hookgate.apiKey', value), key);
      const page = await context.newPage();
      let transferred = 0;
      page.on('response', async (response) => {
        const length = Number((await response.allHeaders())['content-length'] ?? 0);
        transferred += length;
      });
      let started = performance.now();
      await page.goto(path, { waitUntil: 'commit' });
      await view.ready(page).waitFor({ timeout: 120_000 });
      cold.push(performance.now() - started);
      loads.push(
        await page.evaluate(() => {
          const [nav] = performance.getEntriesByType('navigation');
          return nav.domContentLoadedEventEnd - nav.startTime;
        }),
      );
      bytes = transferred;
      started = performance.now();
      await page.reload({ waitUntil: 'commit' });
      await view.ready(page).waitFor({ timeout: 120_000 });
      warm.push(performance.now() - started);
      await context.close();
    }
    rows.push({
      view: view.name,
      cold: median(cold),
      warm: median(warm),
      domContentLoaded: median(loads),
      bytes,
    });
  }
  return rows;
}

// ---- the API calls, with plain fetch -------------------------------------------------------
async function measureApi() {
  const endpoints = (await api('/api/v1/inbound-endpoints')).body;
  const outbound = (await api('/api/v1/outbound-endpoints')).body;
  const inboundId = (endpoints.items ?? endpoints)[0]?.id;
  const outboundCode = (outbound.items ?? outbound)[0]?.code;
  const sevenDays = new Date(Date.now() - 7 * 86_400_000);
  sevenDays.setUTCMinutes(0, 0, 0);
  const thirtyDays = new Date(Date.now() - 30 * 86_400_000);
  thirtyDays.setUTCMinutes(0, 0, 0);
  const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
  const someEvent = (await api(`/api/v1/inbound-events?limit=1&state=done`)).body.items[0];

  const third = async (path) => {
    // The 3rd page: follow nextCursor twice (not timed), then time the 3rd page itself.
    let cursor;
    for (let n = 0; n < 2; n++) {
      const sep = path.includes('?') ? '&' : '?';
      const { body } = await api(
        `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      cursor = body.nextCursor;
    }
    const sep = path.includes('?') ? '&' : '?';
    return `${path}${sep}cursor=${encodeURIComponent(cursor)}`;
  };

  const calls = [
    ['GET /stats?from=7 days ago', `/api/v1/stats?from=${sevenDays.toISOString()}`],
    ['GET /stats?from=30 days ago', `/api/v1/stats?from=${thirtyDays.toISOString()}`],
    ['GET /inbound-events (1st page)', `/api/v1/inbound-events?limit=${PAGE}`],
    [
      'GET /inbound-events state=dead_letter',
      `/api/v1/inbound-events?limit=${PAGE}&state=dead_letter`,
    ],
    [
      'GET /inbound-events endpoint+state=error',
      `/api/v1/inbound-events?limit=${PAGE}&endpoint=${inboundId}&state=error`,
    ],
    [
      'GET /inbound-events from/to (a day, 2 days ago)',
      `/api/v1/inbound-events?limit=${PAGE}&from=${twoDaysAgo}&to=${dayAgo}`,
    ],
    [
      'GET /inbound-events q=<delivery identity>',
      `/api/v1/inbound-events?limit=${PAGE}&q=${encodeURIComponent(someEvent.deliveryIdentity)}`,
    ],
    [
      'GET /inbound-events q=<matched rule>',
      `/api/v1/inbound-events?limit=${PAGE}&q=${encodeURIComponent(someEvent.matchedRule ?? 'opened issues')}`,
    ],
    [
      'GET /inbound-events q=absent (no match)',
      `/api/v1/inbound-events?limit=${PAGE}&q=no-such-identity`,
    ],
    ['GET /inbound-events 3rd page (cursor)', await third(`/api/v1/inbound-events?limit=${PAGE}`)],
    [
      'GET /inbound-events state=dead_letter 3rd page',
      await third(`/api/v1/inbound-events?limit=${PAGE}&state=dead_letter`),
    ],
    ['GET /deliveries (1st page)', `/api/v1/deliveries?limit=${PAGE}`],
    ['GET /deliveries state=canceled', `/api/v1/deliveries?limit=${PAGE}&state=canceled`],
    [
      'GET /deliveries endpoint+state=dead_letter',
      `/api/v1/deliveries?limit=${PAGE}&endpoint=${outboundCode}&state=dead_letter`,
    ],
    [
      'GET /deliveries eventType=invoice.paid',
      `/api/v1/deliveries?limit=${PAGE}&eventType=invoice.paid`,
    ],
    [
      'GET /deliveries eventType=absent (no match)',
      `/api/v1/deliveries?limit=${PAGE}&eventType=order.absent`,
    ],
    [
      'GET /deliveries from/to (a day, 2 days ago)',
      `/api/v1/deliveries?limit=${PAGE}&from=${twoDaysAgo}&to=${dayAgo}`,
    ],
    ['GET /deliveries 3rd page (cursor)', await third(`/api/v1/deliveries?limit=${PAGE}`)],
    ['GET /audit (1st page)', `/api/v1/audit?limit=${PAGE}`],
  ];
  const rows = [];
  for (const [name, path] of calls) {
    const times = [];
    let count = 0;
    for (let run = 0; run < RUNS; run++) {
      const { body, elapsed } = await api(path);
      times.push(elapsed);
      count = Array.isArray(body.items) ? body.items.length : undefined;
    }
    rows.push({ call: name, median: median(times), max: Math.max(...times), items: count });
  }
  return rows;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
  headless: true,
});
try {
  const views = process.argv.includes('--api-only') ? [] : await measureViews(browser);
  const calls = process.argv.includes('--views-only') ? [] : await measureApi();
  if (views.length) {
    process.stdout.write(
      `\n| View | first data, cold | first data, warm (reload) | DOMContentLoaded, cold | bytes, cold |\n|---|---|---|---|---|\n`,
    );
    for (const row of views) {
      process.stdout.write(
        `| ${row.view} | ${ms(row.cold)} | ${ms(row.warm)} | ${ms(row.domContentLoaded)} | ${Math.round(row.bytes / 1024)} KiB |\n`,
      );
    }
  }
  if (calls.length) {
    process.stdout.write(`\n| API call | median of ${RUNS} | max | items |\n|---|---|---|---|\n`);
    for (const row of calls) {
      process.stdout.write(
        `| ${row.call} | ${ms(row.median)} | ${ms(row.max)} | ${row.items ?? '—'} |\n`,
      );
    }
  }
} finally {
  await browser.close();
}
