// End-to-end scenarios of `npm run bench` (issue 24): whole paths as a user waits for them,
// each against a hand-written baseline in the same run, each with the CPU milliseconds per
// item of every process that does the work (so "CPU-seconds per million" is a number).
//
// - outbound e2e: N `deliver` jobs and N/10 `publish` jobs (each fanning out to 10
//   endpoints) are added to `outbound-requests` with the dispatcher running; the clock runs
//   from the first add to the last `completed_at`: every delivery received at the sink and
//   its attempt logged. Then a paced phase offers 1,000 deliveries/s (100 publishes/s) and
//   measures publish → first attempt (`started_at` of the attempt minus the moment the job
//   was added, carried in its payload).
// - inbound e2e: signed webhooks at a steady offered rate into the gateway with its worker
//   running, through the 3-rule handler with an upsert, to `done`. A ladder of short steps
//   finds the highest rate that holds (≥ 97 % of the offered rate accepted, p99 received →
//   done ≤ 1 s, backlog at the end of the step under one second's worth); that rate is then
//   held for `--e2e-hold` seconds (60 by default) and must pass the same test, else the
//   rate drops by 20 % and is held again (up to four holds).
//
// The harness (`h`) is bench/run.mjs's: sql, queue(), sampler, cannon(), forkChild and the
// run's settings; see runE2E there.
import { createRequire } from 'node:module';
import { describeCpu, fmt, log, sleep, waitFor, waitForProgress } from './support.mjs';

export const FAN_OUT = 10;
const FAN_EVENT = 'bench.fanout';

/** The groups of a CPU window that are the system under test for one side. */
function sideGroups(side) {
  return side === 'hookgate'
    ? (group) =>
        ['inbound-gateway', 'outbound-dispatcher', 'admin'].includes(group) ||
        group === 'postgres (bench db)' ||
        group === 'redis'
    : (group) =>
        (group.startsWith('baseline-') && !group.endsWith('(main thread)')) ||
        group === 'postgres (bench db)' ||
        group === 'redis';
}

/**
 * CPU milliseconds per item of each process group over a window, and their sum over the
 * system under test (apps or baselines, Postgres serving the bench database, Redis):
 * ×1,000 that sum is CPU-seconds per million items.
 */
export function cpuPerItem(window, items, side) {
  const inSystem = sideGroups(side);
  const byGroup = {};
  let total = 0;
  for (const [group, cores] of Object.entries(window.cpu.byGroupCores)) {
    const ms = (cores * window.cpu.seconds * 1000) / items;
    byGroup[group] = Math.round(ms * 1000) / 1000;
    if (inSystem(group) && !group.endsWith('(main thread)')) total += ms;
  }
  return { byGroup, totalMs: Math.round(total * 1000) / 1000 };
}

/** "gw 0.21 · pg 0.30 · redis 0.04 = 0.55" for the table. */
export function shortCpu(perItem, side) {
  const names = {
    'inbound-gateway': 'gw',
    'outbound-dispatcher': 'disp',
    'postgres (bench db)': 'pg',
    redis: 'redis',
    'baseline-inbound-receiver': 'recv',
    'baseline-inbound-worker': 'wrk',
    'baseline-outbound-e2e-worker': 'wrk',
  };
  const inSystem = sideGroups(side);
  const parts = Object.entries(perItem.byGroup)
    .filter(([group, ms]) => names[group] && inSystem(group) && ms >= 0.005)
    .map(([group, ms]) => `${names[group]} ${ms.toFixed(2)}`);
  return `${parts.join(' · ')} = ${perItem.totalMs.toFixed(2)}`;
}

// ---------------------------------------------------------------------------------------
// Outbound end to end

/** The ten fan-out endpoints, subscribed to `bench.fanout`, each on its own sink path. */
export async function configureFanOut(h) {
  const endpoints = [];
  for (let i = 0; i < FAN_OUT; i += 1) {
    const res = await h.api('POST', '/outbound-endpoints', {
      code: `bench-fan-${i}`,
      name: `bench fan-out ${i}`,
      state: 'active',
      method: 'POST',
      bodyMode: 'json',
      eventTypes: [FAN_EVENT],
      targetHost: `http://127.0.0.1:${h.sink.ready.port}`,
      targetPath: `/fan/${i}`,
      retryPolicy: { maxAttempts: 3, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 5 },
    });
    if (res.status !== 201) {
      throw new Error(
        `POST /outbound-endpoints answered ${res.status}: ${JSON.stringify(res.body)}`,
      );
    }
    endpoints.push({ id: res.body.id, code: `bench-fan-${i}`, path: `/fan/${i}` });
  }
  return endpoints;
}

function e2ePayload(i, kind) {
  return {
    id: `${kind}_${i}`,
    type: 'invoice.paid',
    amount: 1000 + i,
    currency: 'EUR',
    customer: { id: `cus_${i % 500}`, email: `customer${i % 500}@example.test` },
    lines: [
      { sku: 'plan-pro', quantity: 1, amount: 900 },
      { sku: 'seats', quantity: 2, amount: 100 + (i % 7) },
    ],
    sentAt: Date.now(),
  };
}

/**
 * Adds the run's jobs: N `deliver` and, after every tenth, one `publish`, at most 500 adds
 * in flight. `add(name, data)` is the side's producer (HookgatePublisher, or a Queue).
 */
async function addJobs(add, n, tag) {
  const jobs = [];
  for (let i = 0; i < n; i += 1) {
    jobs.push(['deliver', i]);
    if (i % 10 === 9) jobs.push(['publish', (i - 9) / 10]);
  }
  for (let i = 0; i < jobs.length; i += 500) {
    await Promise.all(
      jobs.slice(i, i + 500).map(([name, j]) =>
        add(name, {
          payload: e2ePayload(j, name),
          idempotencyKey: `${tag}-${name[0]}-${j}`,
        }),
      ),
    );
  }
}

/** Publishes at `perSecond` for `seconds`, in ticks of 20 ms; answers how many. */
async function pacedPublishes(add, perSecond, seconds, tag) {
  const total = Math.round(perSecond * seconds);
  const start = Date.now();
  let sent = 0;
  const pending = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * perSecond) + 1);
    for (; sent < due; sent += 1) {
      pending.push(
        add('publish', { payload: e2ePayload(sent, 'paced'), idempotencyKey: `${tag}-${sent}` }),
      );
    }
    await sleep(20);
  }
  await Promise.all(pending);
  return total;
}

async function outboundCounts(h, tables, since) {
  const [row] = await h.sql(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE state = 'done')::int AS done,
            count(*) FILTER (WHERE state IN ('error', 'dead_letter', 'canceled'))::int AS failed,
            max(completed_at) AS last_completed
       FROM ${tables.deliveries} WHERE created_at >= $1`,
    [since],
  );
  return row;
}

/** p50/p99 (ms) from the add of a job (payload.sentAt) to its deliveries' first attempt. */
async function firstAttemptLatency(h, tables, keyPrefix, perJob) {
  const [row] = await h.sql(
    `WITH firsts AS (
       SELECT ${perJob ? 'd.idempotency_key' : 'd.id'} AS item,
              extract(epoch FROM min(a.started_at)) * 1000
                - min((d.payload->>'sentAt')::float8) AS ms
         FROM ${tables.deliveries} d
         JOIN ${tables.attempts} a ON a.delivery_id = d.id
        WHERE d.idempotency_key LIKE $1
        GROUP BY 1)
     SELECT count(*)::int AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
            max(ms) AS max
       FROM firsts`,
    [`${keyPrefix}%`],
  );
  return { n: row.n, p50: Number(row.p50), p99: Number(row.p99), max: Number(row.max) };
}

/**
 * One side of outbound e2e: throughput (N deliver + N/10 publish), then the paced phase.
 * `add` produces a job; `tables` names the side's deliveries and attempts tables.
 */
async function outboundSide(h, side, add, tables) {
  const n = h.opts.e2eDeliveries;
  const expected = n + (n / 10) * FAN_OUT;
  const tag = `e2e-${side}`;
  await h.sink.ask('reset');
  const since = new Date(Date.now() - 1000);
  h.sampler.cut();
  const start = Date.now();
  log(
    `outbound e2e, ${side}: adding ${n} deliver + ${n / 10} publish jobs (${expected} deliveries)`,
  );
  const run = () =>
    (async () => {
      await addJobs(add, n, tag);
      const addedMs = Date.now() - start;
      const end = await waitForProgress(
        async () => {
          const counts = await outboundCounts(h, tables, since);
          return { done: counts.done + counts.failed, total: expected, counts };
        },
        { what: `outbound e2e (${side})` },
      );
      return { addedMs, end };
    })();
  const { addedMs, end } =
    side === 'hookgate' ? await h.profile('outbound-dispatcher', 'e2e', run) : await run();
  const window = h.sampler.cut();
  const seconds = (new Date(end.counts.last_completed).getTime() - start) / 1000;
  const [{ attempts }] = await h.sql(
    `SELECT count(*)::int AS attempts FROM ${tables.attempts} a
       JOIN ${tables.deliveries} d ON d.id = a.delivery_id
      WHERE d.idempotency_key LIKE $1 AND a.outcome = 'success'`,
    [`${tag}-%`],
  );
  const sinkRequests = (await h.sink.ask('count')).requests;
  const throughput = {
    deliveries: expected,
    done: end.counts.done,
    failed: end.counts.failed,
    successAttemptsLogged: attempts,
    sinkRequests,
    addedSeconds: addedMs / 1000,
    seconds,
    perSec: expected / seconds,
    publishToFirstAttemptMs: await firstAttemptLatency(h, tables, `${tag}-p-`, true),
    window,
    cpu: cpuPerItem(window, expected, side),
  };
  if (attempts !== expected || sinkRequests < expected || throughput.failed > 0) {
    throw new Error(
      `outbound e2e (${side}): ${expected} deliveries, ${throughput.done} done, ${attempts} success attempts logged, sink saw ${sinkRequests}`,
    );
  }
  log(
    `outbound e2e, ${side}: ${Math.round(throughput.perSec)} deliveries/s (jobs added in ${fmt(addedMs / 1000, 1)} s); CPU ms/delivery ${shortCpu(throughput.cpu, side)}`,
  );

  // Paced: 1,000 deliveries/s offered as 100 publishes/s, each fanning out to 10.
  const pacedTag = `e2e-paced-${side}`;
  const perSecond = h.opts.e2ePacedRate / FAN_OUT;
  const pacedSince = new Date();
  const published = await pacedPublishes(add, perSecond, h.opts.e2ePacedSeconds, pacedTag);
  await waitForProgress(
    async () => {
      const counts = await outboundCounts(h, tables, pacedSince);
      return { done: counts.done + counts.failed, total: published * FAN_OUT, counts };
    },
    { what: `outbound e2e paced (${side})` },
  );
  const paced = {
    offeredDeliveriesPerSec: h.opts.e2ePacedRate,
    seconds: h.opts.e2ePacedSeconds,
    publishes: published,
    publishToFirstAttemptMs: await firstAttemptLatency(h, tables, `${pacedTag}-`, true),
  };
  log(
    `outbound e2e, ${side}: paced ${paced.offeredDeliveriesPerSec}/s, publish → first attempt p50/p99 ${fmt(paced.publishToFirstAttemptMs.p50)}/${fmt(paced.publishToFirstAttemptMs.p99)} ms`,
  );
  return { ...throughput, paced };
}

export async function scenarioOutboundE2E(h) {
  const require = createRequire(import.meta.url);
  const { HookgatePublisher } = require(`${h.ROOT}dist/libs/messaging/src/index.js`);
  const { PUBLISH_JOB_OPTIONS } = require(`${h.ROOT}dist/libs/client/src/job-contract.js`);
  const fan = h.fanOut ?? (h.fanOut = await configureFanOut(h));
  // The endpoint cache of the dispatcher learns the new endpoints on its next read.
  await sleep(200);
  const publisher = new HookgatePublisher({ redisUrl: h.REDIS_URL, prefix: h.QUEUE_PREFIX });
  let hookgate;
  try {
    hookgate = await outboundSide(
      h,
      'hookgate',
      (name, data) =>
        name === 'publish'
          ? publisher.publish({ ...data, eventType: FAN_EVENT })
          : publisher.deliver({ ...data, endpoint: h.config.outbound.code }),
      { deliveries: 'deliveries', attempts: 'delivery_attempts' },
    );
  } finally {
    await publisher.close();
  }

  await h.sql(`CREATE TABLE bench_e2e_deliveries (LIKE deliveries INCLUDING ALL)`);
  await h.sql(`CREATE TABLE bench_e2e_attempts (LIKE delivery_attempts INCLUDING ALL)`);
  const baselineQueue = h.queue('baseline-outbound-requests');
  const worker = await h.fork(
    'baseline-outbound-e2e-worker',
    `${h.ROOT}bench/baselines/outbound-e2e-worker.mjs`,
    {
      BASELINE_QUEUE: 'baseline-outbound-requests',
      BASELINE_DELIVERIES_TABLE: 'bench_e2e_deliveries',
      BASELINE_ATTEMPTS_TABLE: 'bench_e2e_attempts',
      BASELINE_TENANT_ID: h.tenantId,
      BASELINE_ENDPOINT_ID: h.config.outbound.id,
      BASELINE_TARGET_URL: `http://127.0.0.1:${h.sink.ready.port}/hooks`,
      BASELINE_FAN_TARGETS: JSON.stringify(
        fan.map((e) => ({
          endpointId: e.id,
          code: e.code,
          url: `http://127.0.0.1:${h.sink.ready.port}${e.path}`,
        })),
      ),
      BASELINE_CONCURRENCY: h.DISPATCHER_CONCURRENCY,
    },
  );
  let baseline;
  try {
    baseline = await outboundSide(
      h,
      'baseline',
      (name, data) =>
        baselineQueue.add(
          name,
          name === 'publish' ? { ...data, eventType: FAN_EVENT } : data,
          PUBLISH_JOB_OPTIONS,
        ),
      { deliveries: 'bench_e2e_deliveries', attempts: 'bench_e2e_attempts' },
    );
  } finally {
    await h.stop(worker);
  }
  return { hookgate, baseline };
}

// ---------------------------------------------------------------------------------------
// Inbound end to end

/**
 * One step at `rate` webhooks/s for `seconds`: what was accepted, and for the events
 * received in the step, received → done (an event not done 1.5 s after the step counts
 * as late), and the backlog (received, not done) at the end of the step.
 */
async function inboundStep(h, sideInfo, rate, seconds) {
  const start = new Date();
  const load = await h.cannon({
    port: sideInfo.port,
    path: sideInfo.path,
    duration: seconds,
    rate,
    // Enough connections that the offered rate is reached at the latencies of a loaded
    // machine (autocannon keeps one request in flight per connection).
    connections: h.opts.connections,
  });
  const end = new Date();
  const [{ backlog }] = await h.sql(
    `SELECT count(*)::int AS backlog FROM ${sideInfo.table}
      WHERE endpoint_id = $1 AND state IN ('received', 'processing')`,
    [sideInfo.endpointId],
  );
  await sleep(1500);
  const [row] = await h.sql(
    `SELECT count(*)::int AS received,
            count(*) FILTER (WHERE state = 'done')::int AS done,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(extract(epoch FROM processed_at - received_at), 1e6)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY coalesce(extract(epoch FROM processed_at - received_at), 1e6)) * 1000 AS p99
       FROM ${sideInfo.table}
      WHERE endpoint_id = $1 AND received_at >= $2 AND received_at < $3`,
    [sideInfo.endpointId, start, end],
  );
  const acceptedPerSec = load.accepted / load.durationS;
  const p99 = Number(row.p99);
  const held =
    acceptedPerSec >= 0.97 * rate && p99 <= 1000 && backlog <= rate && row.done === row.received;
  const result = {
    rate,
    seconds,
    acceptedPerSec: Math.round(acceptedPerSec),
    statuses: load.statuses,
    received: row.received,
    done: row.done,
    backlogAtEnd: backlog,
    receivedToDoneMs: { p50: Math.round(Number(row.p50)), p99: Math.round(p99) },
    acceptLatencyMs: load.latencyMs,
    held,
  };
  log(
    `inbound e2e, ${sideInfo.side}: ${rate}/s offered for ${seconds} s: accepted ${result.acceptedPerSec}/s, received → done p50/p99 ${result.receivedToDoneMs.p50}/${result.receivedToDoneMs.p99} ms, backlog at end ${backlog}: ${held ? 'held' : 'NOT held'}`,
  );
  return result;
}

async function drainBacklog(h, sideInfo) {
  await waitFor(
    async () => {
      const [{ n }] = await h.sql(
        `SELECT count(*)::int AS n FROM ${sideInfo.table}
          WHERE endpoint_id = $1 AND state IN ('received', 'processing')`,
        [sideInfo.endpointId],
      );
      return n === 0 ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `inbound e2e backlog (${sideInfo.side})` },
  );
}

/**
 * The ladder (×1.3 a step from the start rate while steps hold; if the first does not,
 * ×0.7 a step down until one does), then the hold at its best rate, and 20 % lower each
 * time that fails, up to four holds: a 5 s step can pass at a rate that a minute of
 * table growth and vacuum does not sustain.
 */
async function inboundSide(h, sideInfo) {
  const ladder = [];
  let best = 0;
  let rate = h.opts.e2eStartRate;
  while (rate <= h.opts.e2eMaxRate && rate >= 50) {
    const step = await inboundStep(h, sideInfo, rate, h.opts.e2eStepSeconds);
    ladder.push(step);
    await drainBacklog(h, sideInfo);
    if (step.held) {
      best = rate;
      // Coming down from a start rate that did not hold: this is the best.
      if (ladder.some((s) => !s.held)) break;
      rate = Math.round(rate * 1.3);
    } else if (best === 0) {
      rate = Math.round(rate * 0.7);
    } else {
      break;
    }
  }
  let hold;
  for (let rate = best, tries = 0; rate > 0 && tries < 4; rate = Math.round(rate * 0.8)) {
    tries += 1;
    h.sampler.cut();
    hold = await inboundStep(h, sideInfo, rate, h.opts.e2eHoldSeconds);
    hold.window = h.sampler.cut();
    hold.cpu = cpuPerItem(hold.window, Math.max(1, hold.done), sideInfo.side);
    await drainBacklog(h, sideInfo);
    if (hold.held) break;
  }
  const sustained = hold?.held ? hold.rate : 0;
  log(
    `inbound e2e, ${sideInfo.side}: sustained ${sustained}/s for ${h.opts.e2eHoldSeconds} s${hold?.cpu ? `; CPU ms/event ${shortCpu(hold.cpu, sideInfo.side)}` : ''}`,
  );
  return { sustained, ladder, hold };
}

export async function scenarioInboundE2E(h) {
  const { endpoints } = h;
  await h.inboundQueue.resume();
  const hookgate = await h.profile('inbound-gateway', 'e2e', () =>
    inboundSide(h, {
      side: 'hookgate',
      port: h.ports['inbound-gateway'],
      path: endpoints.issues.url,
      table: 'inbound_events',
      endpointId: endpoints.issues.id,
    }),
  );

  await h.sql(`CREATE TABLE bench_e2e_events (LIKE inbound_events INCLUDING ALL)`);
  await h.sql(`CREATE TABLE bench_e2e_records (LIKE records INCLUDING ALL)`);
  const common = {
    BASELINE_QUEUE: 'baseline-e2e-events',
    BASELINE_TENANT_ID: h.tenantId,
  };
  const worker = await h.fork(
    'baseline-inbound-worker',
    `${h.ROOT}bench/baselines/inbound-worker.mjs`,
    {
      ...common,
      BASELINE_EVENTS_TABLE: 'bench_e2e_events',
      BASELINE_RECORDS_TABLE: 'bench_e2e_records',
      BASELINE_CONCURRENCY: process.env.INBOUND_WORKER_CONCURRENCY ?? '64',
    },
  );
  const receiver = await h.fork(
    'baseline-inbound-receiver',
    `${h.ROOT}bench/baselines/inbound-receiver.mjs`,
    {
      ...common,
      BASELINE_TABLE: 'bench_e2e_events',
      BASELINE_SECRET: h.INBOUND_SECRET,
      BASELINE_ENDPOINT_ID: endpoints.issues.id,
      BASELINE_ENDPOINT_PATH: 'bench/issues',
    },
  );
  let baseline;
  try {
    baseline = await inboundSide(h, {
      side: 'baseline',
      port: receiver.ready.port,
      path: '/webhooks/bench/issues',
      table: 'bench_e2e_events',
      endpointId: endpoints.issues.id,
    });
  } finally {
    await h.stop(receiver);
    await h.stop(worker);
  }
  return { hookgate, baseline };
}

/** The e2e rows of the bench table. */
export function e2eRows(results, { ratio, yesNo }) {
  const rows = [];
  const { outboundE2E: out, inboundE2E: inb } = results;
  if (out) {
    const r = out.hookgate.perSec / out.baseline.perSec;
    rows.push({
      scenario: `outbound e2e, jobs added → received + attempt logged, deliveries/s (${out.hookgate.deliveries}: deliver + publish×${FAN_OUT})`,
      hookgate: fmt(out.hookgate.perSec),
      baseline: fmt(out.baseline.perSec),
      ratio: ratio(out.hookgate.perSec, out.baseline.perSec),
      latency: `publish → 1st attempt at ${out.hookgate.paced.offeredDeliveriesPerSec}/s: HG ${fmt(out.hookgate.paced.publishToFirstAttemptMs.p50)}/${fmt(out.hookgate.paced.publishToFirstAttemptMs.p99)} · BL ${fmt(out.baseline.paced.publishToFirstAttemptMs.p50)}/${fmt(out.baseline.paced.publishToFirstAttemptMs.p99)}`,
      rss: `CPU ms/delivery HG ${shortCpu(out.hookgate.cpu, 'hookgate')} · BL ${shortCpu(out.baseline.cpu, 'baseline')}`,
      target: '≥ 1.50× BL, p99 ≤ 250 ms',
      met: yesNo(r >= 1.5 && out.hookgate.paced.publishToFirstAttemptMs.p99 <= 250),
    });
  }
  if (inb) {
    const hg = inb.hookgate;
    const bl = inb.baseline;
    rows.push({
      scenario: `inbound e2e, webhooks/s held ${hg.hold?.seconds ?? '?'} s to done (3 rules + upsert; p99 received → done ≤ 1 s)`,
      hookgate: fmt(hg.sustained),
      baseline: fmt(bl.sustained),
      ratio: ratio(hg.sustained, bl.sustained),
      latency: `received → done HG ${hg.hold?.receivedToDoneMs.p50 ?? '?'}/${hg.hold?.receivedToDoneMs.p99 ?? '?'} · BL ${bl.hold?.receivedToDoneMs.p50 ?? '?'}/${bl.hold?.receivedToDoneMs.p99 ?? '?'}`,
      rss: `CPU ms/event HG ${hg.hold?.cpu ? shortCpu(hg.hold.cpu, 'hookgate') : '?'} · BL ${bl.hold?.cpu ? shortCpu(bl.hold.cpu, 'baseline') : '?'}`,
      target: '≥ 1.50× BL',
      met: yesNo(bl.sustained > 0 && hg.sustained / bl.sustained >= 1.5),
    });
  }
  return rows;
}

/** Notes: full CPU lines of the e2e windows. */
export function e2eNotes(results, cores) {
  const notes = [];
  const { outboundE2E: out, inboundE2E: inb } = results;
  if (out) {
    for (const side of ['hookgate', 'baseline']) {
      const s = out[side];
      notes.push(
        `outbound e2e, ${side}: ${s.deliveries} deliveries in ${fmt(s.seconds, 1)} s (jobs added in ${fmt(s.addedSeconds, 1)} s), ${s.successAttemptsLogged} success attempts logged, sink saw ${s.sinkRequests}; publish → first attempt under the full backlog p50/p99 ${fmt(s.publishToFirstAttemptMs.p50)}/${fmt(s.publishToFirstAttemptMs.p99)} ms; paced ${s.paced.offeredDeliveriesPerSec}/s for ${s.paced.seconds} s: p50/p99/max ${fmt(s.paced.publishToFirstAttemptMs.p50)}/${fmt(s.paced.publishToFirstAttemptMs.p99)}/${fmt(s.paced.publishToFirstAttemptMs.max)} ms; CPU ${describeCpu(s.window.cpu, cores, s.deliveries)}; CPU-s per million deliveries ${fmt(s.cpu.totalMs * 1000)}`,
      );
    }
  }
  if (inb) {
    for (const side of ['hookgate', 'baseline']) {
      const s = inb[side];
      notes.push(
        `inbound e2e, ${side}: ladder ${s.ladder.map((step) => `${step.rate}${step.held ? '✓' : '✗'} (p99 ${step.receivedToDoneMs.p99} ms, backlog ${step.backlogAtEnd})`).join(', ')}; hold ${s.hold ? `${s.hold.rate}/s for ${s.hold.seconds} s ${s.hold.held ? 'held' : 'NOT held'}, accepted ${s.hold.acceptedPerSec}/s, received → done p50/p99 ${s.hold.receivedToDoneMs.p50}/${s.hold.receivedToDoneMs.p99} ms, accept p99 ${s.hold.acceptLatencyMs.p99} ms, backlog at end ${s.hold.backlogAtEnd}; CPU ${describeCpu(s.hold.window.cpu, cores, s.hold.done)}; CPU-s per million webhooks ${fmt(s.hold.cpu.totalMs * 1000)}` : 'none'}`,
      );
    }
  }
  return notes;
}
