import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  DbProbe,
  describeRequest,
  diffCounts,
  diffDigests,
  operationsOf,
  PrototypeWatch,
  requestArbitrary,
  seedFor,
  send,
  type Answer,
  type DbState,
  type FuzzRequest,
  type OpenApiDocument,
  type Operation,
} from './adversarial';

/**
 * Runs the adversarial admin-API suite (./adversarial.ts) against one running admin app:
 * sets up the principals and a little real data in two tenants, sends every operation's
 * batch as each principal, and answers what it found and counted. The caller asserts.
 */
/** Histogram entry for a request Node refused at the socket (head too large). */
const RESET_AFTER_431 = -431;

export type PrincipalName =
  'no-key' | 'other-tenant-admin' | 'default-operator' | 'default-publisher';
const PRINCIPALS: PrincipalName[] = [
  'no-key',
  'other-tenant-admin',
  'default-operator',
  'default-publisher',
];

/** Configuration: only an admin key may change it (SPEC §8), whatever a route answers. */
const CONFIG_TABLES = [
  'handlers',
  'handler_rules',
  'inbound_endpoints',
  'outbound_endpoints',
  'connectors',
  'record_triggers',
  'tenants',
];
/**
 * The tables of its own tenant a lower-privilege key must never change: an operator reads
 * and acts on events, deliveries and records but configures nothing; a publisher only
 * publishes (deliveries, their files, idempotency keys and audit entries).
 */
const OFF_LIMITS: Partial<Record<PrincipalName, string[]>> = {
  'default-operator': CONFIG_TABLES,
  'default-publisher': [...CONFIG_TABLES, 'inbound_events', 'records'],
};
/** Keys and tenants are counted across tenants: neither role may create or delete one. */
const OFF_LIMITS_COUNTS = ['api_keys', 'tenants'];

export interface AdminTarget {
  url: string;
  /** An admin key of the default tenant (the bootstrap key). */
  adminKey: string;
  databaseUrl: string;
  /** Set when the app runs in this process: its prototypes are ours to inspect. */
  inProcess: boolean;
  /** Processes that exited on their own (child-process targets). */
  crashes?: () => string[];
  /** Starts the app again after a crash (recorded as a finding) so later batches still run. */
  restart?: () => Promise<void>;
}

export interface SuiteOptions {
  seed: number;
  /** Requests per operation for each keyed principal. */
  runs: number;
  /** Requests per operation without a key (they all stop at the guard). */
  noKeyRuns: number;
  /** Only batches whose label contains this (`FUZZ_ONLY`), to replay one failure. */
  only?: string;
  /** Batches whose label contains this are left out (`FUZZ_SKIP`). */
  skip?: string;
  /** Let fast-check shrink a failure to a smaller request (slower). */
  shrink: boolean;
  log: (line: string) => void;
}

export interface Finding {
  batch: string;
  seed: number;
  path?: string;
  problem: string;
  request: string;
}

export interface SuiteResult {
  findings: Finding[];
  requests: number;
  statuses: Record<string, number>;
  byBatch: Map<string, Map<number, number>>;
  bodyKinds: Record<string, number>;
  /** Time spent waiting for the app's answers, and for the database checks. */
  sendMs: number;
  checkMs: number;
}

interface TenantFixture {
  id: string;
  /** Admin key that reads the tenant's snapshot. */
  adminKey: string;
  ids: string[];
  model: string;
  canary: string;
}

async function call(
  url: string,
  key: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer & { json: any }> {
  const answer = await send(
    url,
    {
      method,
      target: path,
      body:
        body === undefined
          ? undefined
          : {
              kind: 'setup',
              contentType: 'application/json',
              bytes: Buffer.from(JSON.stringify(body)),
            },
    },
    key,
  );
  let json: unknown = null;
  try {
    json = answer.text ? JSON.parse(answer.text) : null;
  } catch {
    json = answer.text;
  }
  return { ...answer, json };
}

async function must(
  url: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<any> {
  const res = await call(url, key, method, path, body);
  if (res.status < 200 || res.status >= 300)
    throw new Error(`setup: ${method} ${path} answered ${res.status}: ${res.text.slice(0, 500)}`);
  return res.json;
}

/** A little of everything in one tenant, so ids in paths name real rows. */
async function seedTenant(
  url: string,
  databaseUrl: string,
  tenantId: string,
  adminKey: string,
  tag: string,
): Promise<TenantFixture> {
  const canary = `canary-${tag}`;
  const ids: string[] = [tenantId];
  const handler = await must(url, adminKey, 'POST', '/api/v1/handlers', {
    code: `${tag}-h`,
    name: canary,
    direction: 'inbound',
    executionMode: 'rules',
    rules: [
      {
        sequence: 1,
        name: 'write',
        conditions: [{ source: 'payload', path: 'kind', operator: 'exists' }],
        action: 'upsert_record',
        targetModel: `${tag}-m`,
        lookups: [{ field: 'kind', source: { kind: 'payload', path: 'kind' } }],
        assignments: [{ field: 'kind', source: { kind: 'payload', path: 'kind' } }],
      },
    ],
  });
  ids.push(handler.id);
  const inbound = await must(url, adminKey, 'POST', '/api/v1/inbound-endpoints', {
    name: canary,
    path: `${tag}-in`,
    handler: handler.id,
  });
  ids.push(inbound.id);
  const outbound = await must(url, adminKey, 'POST', '/api/v1/outbound-endpoints', {
    code: `${tag}-out`,
    name: canary,
    state: 'active',
    method: 'POST',
    bodyMode: 'json',
    targetHost: 'http://127.0.0.1:9',
    targetPath: '/orders/{orderId}',
    eventTypes: ['order.*'],
  });
  ids.push(outbound.id);
  const delivery = await must(url, adminKey, 'POST', '/api/v1/deliveries', {
    endpoint: outbound.code,
    payload: { canary },
    context: { orderId: '7' },
  });
  ids.push(delivery.id);
  const published = await must(url, adminKey, 'POST', '/api/v1/events', {
    eventType: 'order.paid',
    payload: { canary },
    context: { orderId: '8' },
  });
  ids.push(...published.deliveries.map((d: { id: string }) => d.id));
  const connector = await must(url, adminKey, 'POST', '/api/v1/connectors', {
    kind: 'stripe',
    code: `${tag}-c`,
    name: canary,
    baseUrl: 'http://127.0.0.1:9',
    credentials: { secretKey: `sk_test_${tag}`, webhookSecret: `whsec_${tag}` },
  });
  ids.push(connector.id);
  const spareKey = await must(url, adminKey, 'POST', '/api/v1/api-keys', {
    name: canary,
    role: 'operator',
  });
  ids.push(spareKey.id);
  // Inbound events and records come from the gateway's workers; written here directly.
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const eventIds = (
      await db.query<{ id: string }>(
        `INSERT INTO inbound_events (tenant_id, endpoint_id, endpoint_path, state, method, url, raw_body, payload, error)
         VALUES ($1, $2, $3, 'error', 'POST', $4, $5, $6, 'boom'),
                ($1, $2, $3, 'done', 'POST', $4, $5, $6, NULL)
         RETURNING id`,
        [
          tenantId,
          inbound.id,
          inbound.path,
          `/webhooks/${inbound.path}`,
          Buffer.from(JSON.stringify({ canary })),
          JSON.stringify({ canary, customer: { email: `${tag}@example.test` } }),
        ],
      )
    ).rows.map((r) => r.id);
    ids.push(...eventIds);
    const [record] = (
      await db.query<{ id: string }>(
        `INSERT INTO records (tenant_id, model, data) VALUES ($1, $2, $3) RETURNING id`,
        [
          tenantId,
          `${tag}-m`,
          JSON.stringify({ kind: canary, customer: { email: `${tag}@x.test` }, n: 42 }),
        ],
      )
    ).rows;
    ids.push(record.id);
    const audit = (
      await db.query<{ id: string }>(`SELECT id FROM audit_entries WHERE tenant_id = $1 LIMIT 3`, [
        tenantId,
      ])
    ).rows;
    ids.push(...audit.map((r) => r.id));
  } finally {
    await db.end();
  }
  return { id: tenantId, adminKey, ids, model: `${tag}-m`, canary };
}

const SNAPSHOT_LISTS = [
  '/api/v1/tenant',
  '/api/v1/handlers',
  '/api/v1/inbound-endpoints',
  '/api/v1/outbound-endpoints?limit=500',
  '/api/v1/deliveries?limit=500',
  '/api/v1/inbound-events?limit=500',
  '/api/v1/audit?limit=500',
  '/api/v1/api-keys',
  '/api/v1/connectors',
];

/** What a tenant's admin sees of its tenant (`lastUsedAt` moves with every call). */
async function apiSnapshot(url: string, tenant: TenantFixture): Promise<string> {
  const parts: string[] = [];
  for (const path of [...SNAPSHOT_LISTS, `/api/v1/records/${tenant.model}?limit=500`]) {
    const res = await call(url, tenant.adminKey, 'GET', path);
    parts.push(
      `${path} ${res.status} ${JSON.stringify(res.json, (k, v) => (k === 'lastUsedAt' ? undefined : v))}`,
    );
  }
  return parts.join('\n');
}

/** Requests whose answers show a planted property (a required field that is "present"). */
const CANARIES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/api/v1/tenant' },
  { method: 'POST', path: '/api/v1/tenants', body: {} },
  { method: 'POST', path: '/api/v1/api-keys', body: {} },
  { method: 'POST', path: '/api/v1/handlers', body: {} },
];

export async function runAdversarialSuite(
  target: AdminTarget,
  options: SuiteOptions,
): Promise<SuiteResult> {
  const { url, adminKey, databaseUrl } = target;
  const log = options.log;
  const docRes = await call(url, undefined, 'GET', '/api/docs-json');
  if (docRes.status !== 200) throw new Error(`no OpenAPI document: ${docRes.status}`);
  const doc = docRes.json as OpenApiDocument;
  const operations = operationsOf(doc);

  // Principals: an operator of the default tenant, the admin of a tenant made for this run.
  const tag = `fz${options.seed.toString(36)}${randomUUID().slice(0, 6)}`;
  const operator = await must(url, adminKey, 'POST', '/api/v1/api-keys', {
    name: `${tag} operator`,
    role: 'operator',
  });
  const publisher = await must(url, adminKey, 'POST', '/api/v1/api-keys', {
    name: `${tag} publisher`,
    role: 'publisher',
  });
  const created = await must(url, adminKey, 'POST', '/api/v1/tenants', { name: `${tag}-other` });
  const defaultTenantId = (await must(url, adminKey, 'GET', '/api/v1/tenant')).id as string;
  const home = await seedTenant(url, databaseUrl, defaultTenantId, adminKey, `${tag}-d`);
  const other = await seedTenant(
    url,
    databaseUrl,
    created.tenant.id,
    created.adminKey.key,
    `${tag}-o`,
  );
  // The principals' own keys are not in the id pool: a key that revoked itself stops the run.
  home.ids.push(operator.id, publisher.id);
  const pools = {
    ids: [...home.ids, ...other.ids],
    models: [home.model, other.model, 'x', '__proto__'],
  };
  const keyOf: Record<PrincipalName, string | undefined> = {
    'no-key': undefined,
    'other-tenant-admin': created.adminKey.key,
    'default-operator': operator.key,
    'default-publisher': publisher.key,
  };
  /** The tenant a principal must not be able to touch or read. */
  const victimsOf: Record<PrincipalName, TenantFixture[]> = {
    'no-key': [home, other],
    'other-tenant-admin': [home],
    'default-operator': [other],
    'default-publisher': [other],
  };

  const watch = target.inProcess ? new PrototypeWatch() : undefined;
  const probe = await DbProbe.open(databaseUrl, [home.id, other.id]);
  const canaryBaseline: string[] = [];
  for (const c of CANARIES) {
    const res = await call(url, adminKey, c.method, c.path, c.body);
    canaryBaseline.push(`${res.status} ${res.text}`);
  }

  const findings: Finding[] = [];
  const byBatch = new Map<string, Map<number, number>>();
  const statuses: Record<string, number> = {};
  const bodyKinds: Record<string, number> = {};
  let requests = 0;
  let sendMs = 0;
  let checkMs = 0;
  let state: DbState = await probe.read();
  const started = Date.now();

  async function afterBatch(batch: string): Promise<string[]> {
    const problems: string[] = [];
    // A dead process fails every check below: say the one thing that happened.
    const crashes = target.crashes?.() ?? [];
    if (crashes.length > 0) {
      problems.push(`crashed: ${crashes.join('\n').slice(0, 1500)}`);
      for (const p of problems)
        findings.push({ batch, seed: 0, problem: `after the batch: ${p}`, request: '-' });
      return problems;
    }
    for (const path of ['/health', '/health/ready', '/metrics']) {
      const res = await call(url, undefined, 'GET', path);
      if (res.status !== 200)
        problems.push(`GET ${path} answered ${res.status} ${res.error ?? ''}`);
    }
    for (const [i, c] of CANARIES.entries()) {
      const res = await call(url, adminKey, c.method, c.path, c.body);
      if (`${res.status} ${res.text}` !== canaryBaseline[i])
        problems.push(
          `canary ${c.method} ${c.path} now answers ${res.status} ${res.text.slice(0, 200)} (was ${canaryBaseline[i].slice(0, 200)})`,
        );
    }
    const polluted = watch?.checkAndRestore() ?? [];
    if (polluted.length > 0) problems.push(`prototype polluted: ${polluted.join('; ')}`);
    // The canaries may have written (a planted `name` makes POST /tenants succeed): re-read.
    state = await probe.read();
    for (const p of problems)
      findings.push({ batch, seed: 0, problem: `after the batch: ${p}`, request: '-' });
    return problems;
  }

  /** The batch after which the app no longer answered: the rest is not run. */
  let dead = '';
  for (const principal of PRINCIPALS) {
    if (dead) break;
    const key = keyOf[principal];
    const victims = victimsOf[principal];
    const runs = principal === 'no-key' ? options.noKeyRuns : options.runs;
    const snapshotsBefore = await Promise.all(victims.map((v) => apiSnapshot(url, v)));
    state = await probe.read();
    const phaseStart = requests;
    for (const op of operations) {
      const batch = `${principal} ${op.label}`;
      if (options.only && !batch.includes(options.only)) continue;
      if (options.skip && batch.includes(options.skip)) continue;
      const hist = new Map<number, number>();
      byBatch.set(batch, hist);
      const seed = seedFor(options.seed, batch);
      let problem = '';
      // The default tenant made the other one: its audit shows that tenant's id by design.
      const victimIds = victims.flatMap((v) =>
        [...v.ids, v.canary].filter((id) => !(principal.startsWith('default-') && id === v.id)),
      );
      const offLimits = OFF_LIMITS[principal] ?? [];
      const check = async (req: FuzzRequest): Promise<boolean> => {
        const before = state;
        const t0 = Date.now();
        const answer = await send(url, req, key);
        // Node answers a head over its 16 KB limit with 431 and closes at once; a client
        // still writing may see the reset instead of the 431. The health checks that
        // follow the batch tell whether the process is still there.
        if (
          answer.status === 0 &&
          req.target.length > 16_000 &&
          /ECONNRESET|EPIPE/.test(answer.error ?? '')
        )
          answer.status = RESET_AFTER_431;
        const polluted = watch?.checkAndRestore() ?? [];
        const t1 = Date.now();
        const after = await probe.read();
        sendMs += t1 - t0;
        if (t1 - t0 > 5_000) log(`[fuzz] slow answer, ${t1 - t0} ms: ${describeRequest(req)}`);
        checkMs += Date.now() - t1;
        state = after;
        requests += 1;
        hist.set(answer.status, (hist.get(answer.status) ?? 0) + 1);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (req.body) bodyKinds[req.body.kind] = (bodyKinds[req.body.kind] ?? 0) + 1;
        const problems: string[] = [];
        if (answer.status >= 500 || answer.status === 0)
          problems.push(
            `answered ${answer.status} ${answer.error ?? ''}${answer.text.slice(0, 300)}`,
          );
        if (polluted.length > 0) problems.push(`prototype polluted: ${polluted.join('; ')}`);
        if (answer.status >= 400 || answer.status < 200) {
          const wrote = diffCounts(before.counts, after.counts);
          if (wrote.length > 0)
            problems.push(`refused (${answer.status}) but wrote rows: ${wrote.join(', ')}`);
        }
        if (offLimits.length > 0) {
          const own = (digests: Record<string, string> = {}) =>
            Object.fromEntries(offLimits.map((table) => [table, digests[table] ?? '']));
          const changed = [
            ...diffDigests(own(before.tenants[home.id]), own(after.tenants[home.id])),
            ...diffCounts(
              Object.fromEntries(OFF_LIMITS_COUNTS.map((t) => [t, before.counts[t] ?? 0])),
              Object.fromEntries(OFF_LIMITS_COUNTS.map((t) => [t, after.counts[t] ?? 0])),
            ),
          ];
          if (changed.length > 0)
            problems.push(`a ${principal} key changed what it may not: ${changed.join(', ')}`);
        }
        for (const victim of victims) {
          const changed = diffDigests(before.tenants[victim.id], after.tenants[victim.id]);
          if (changed.length > 0)
            problems.push(`changed tenant ${victim.canary}: ${changed.join(', ')}`);
        }
        if (
          principal === 'no-key' &&
          op.authenticated &&
          answer.status >= 200 &&
          answer.status < 300
        )
          problems.push(`answered ${answer.status} without a key`);
        if (principal !== 'no-key' && answer.status > 0) {
          const sent = req.target + (req.body?.bytes.toString('latin1') ?? '');
          const leaked = victimIds.filter((id) => answer.text.includes(id) && !sent.includes(id));
          if (leaked.length > 0)
            problems.push(`answer shows the other tenant's ${leaked.join(', ')}`);
        }
        problem = problems.join(' | ');
        return problems.length === 0;
      };
      const result = await fc.check(fc.asyncProperty(requestArbitrary(doc, op, pools), check), {
        seed,
        numRuns: runs,
        endOnFailure: !options.shrink,
      });
      if (result.failed) {
        const example = result.counterexample?.[0];
        findings.push({
          batch,
          seed,
          path: result.counterexamplePath ?? undefined,
          problem: problem || String(result.errorInstance ?? 'failed'),
          request: example ? describeRequest(example) : '?',
        });
        log(
          `[fuzz] FINDING ${batch}: ${problem}\n        request: ${example ? describeRequest(example) : '?'}\n        replay: FUZZ_SEED=${options.seed} FUZZ_ONLY='${batch}' (batch seed ${seed}, path ${result.counterexamplePath})`,
        );
      }
      const problems = await afterBatch(batch);
      if (problems.some((p) => p.startsWith('crashed') || p.includes('answered 0'))) {
        if (!target.restart) {
          dead = batch;
          break;
        }
        log(`[fuzz] the app died during ${batch}: restarting it`);
        await target.restart();
        state = await probe.read();
      }
    }
    if (dead) {
      findings.push({
        batch: dead,
        seed: options.seed,
        problem: 'the app stopped answering during this batch; the remaining batches were not run',
        request: '-',
      });
      break;
    }
    const snapshotsAfter = await Promise.all(victims.map((v) => apiSnapshot(url, v)));
    victims.forEach((victim, i) => {
      if (snapshotsAfter[i] !== snapshotsBefore[i]) {
        const a = snapshotsBefore[i].split('\n');
        const b = snapshotsAfter[i].split('\n');
        const moved = a.filter((line, j) => line !== b[j]).map((line) => line.split(' ')[0]);
        findings.push({
          batch: `${principal} (whole phase)`,
          seed: options.seed,
          problem: `${victim.canary} sees a change after this principal's phase: ${moved.join(', ')}`,
          request: '-',
        });
      }
    });
    log(
      `[fuzz] ${principal}: ${requests - phaseStart} requests, ${Math.round((Date.now() - started) / 1000)} s so far`,
    );
  }
  await probe.close();
  await tidy(databaseUrl, [home.id, other.id], new Date(started - 1000));
  return { findings, requests, statuses, byBatch, bodyKinds, sendMs, checkMs };
}

/**
 * Leaves nothing of the run for a dispatcher or gateway that a later spec boots against
 * the same database: no delivery or event of either tenant is left to send or process.
 */
async function tidy(databaseUrl: string, tenants: string[], since: Date): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `UPDATE deliveries SET state = 'canceled'
        WHERE state IN ('draft', 'queued', 'processing', 'error')
          AND (tenant_id = ANY($1::uuid[]) OR updated_at >= $2)`,
      [tenants, since],
    );
    await db.query(
      `UPDATE inbound_events SET state = 'dead_letter'
        WHERE state IN ('received', 'processing')
          AND (tenant_id = ANY($1::uuid[]) OR updated_at >= $2)`,
      [tenants, since],
    );
  } finally {
    await db.end();
  }
}

/** One line per operation: requests and answers per principal. */
export function formatCounts(result: SuiteResult): string {
  const rows = new Map<string, string[]>();
  for (const [batch, hist] of result.byBatch) {
    const [principal, ...rest] = batch.split(' ');
    const op = rest.join(' ');
    const total = [...hist.values()].reduce((a, b) => a + b, 0);
    const histText = [...hist.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}:${n}`)
      .join(',');
    const cells = rows.get(op) ?? [];
    cells.push(`${principal}=${total} {${histText}}`);
    rows.set(op, cells);
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length));
  return [...rows.entries()]
    .map(([op, cells]) => `  ${op.padEnd(width)}  ${cells.join('  ')}`)
    .join('\n');
}

export function operationCount(doc: OpenApiDocument): number {
  return operationsOf(doc).length;
}

export type { Operation };
