// `npm run bench -- --soak` (SPEC §10 "no growth over a 5-minute soak"): mixed load on the
// running apps — signed webhooks into the 3-rule handler while the inbound worker runs,
// outbound deliveries published at a steady rate, and the admin API listing both — while
// the RSS and V8 heap of each app are sampled every few seconds. It prints start, peak
// and end RSS per app and fails (exit 1) on clear growth. bench/run.mjs starts the apps,
// configures them and calls runSoak(); this file only drives and judges.
import { procStatus, sleep } from './support.mjs';

const APPS = ['inbound-gateway', 'admin', 'outbound-dispatcher'];
/** Samples in the first this-many seconds are warm-up: caches fill, pools open, JIT settles. */
const WARMUP_SECONDS = 60;
/** "Clear growth": the last minute's median RSS above the first measured minute's by more than both. */
const GROWTH_LIMIT_MB = 25;
const GROWTH_LIMIT_RATIO = 0.1;
const RSS_TARGET_MB = 250;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};
const mb = (kb) => Math.round(kb / 102.4) / 10;

/**
 * V8 heap used by an app, in MB, from its /metrics (undefined if unreadable): the main
 * thread's `nodejs_heap_size_used_bytes`, plus the gateway's event-writer thread (its own
 * V8 heap, reported as `hookgate_inbound_writer_thread_heap_used_bytes`).
 */
async function heapUsedMb(port) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const read = (name) => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(text);
      return match ? Number(match[1]) : undefined;
    };
    const main = read('nodejs_heap_size_used_bytes');
    if (main === undefined) return undefined;
    const writer = read('hookgate_inbound_writer_thread_heap_used_bytes') ?? 0;
    return Math.round((main + writer) / 1e5) / 10;
  } catch {
    return undefined;
  }
}

/**
 * @param ctx.seconds       soak length
 * @param ctx.pids          app name -> pid
 * @param ctx.ports         app name -> port
 * @param ctx.metricsPorts  app name -> port serving its /metrics (the gateway's metrics listener)
 * @param ctx.inboundLoad   (seconds) => Promise<{accepted, statuses}>: rate-limited webhook load
 * @param ctx.publish       (i) => Promise: publishes one outbound delivery
 * @param ctx.adminGet      (path) => Promise<{status}>
 * @param ctx.counts        () => Promise<{eventsPending, eventsDone, deliveriesPending, deliveriesDone}>
 * @param ctx.log           (message) => void
 */
export async function runSoak(ctx) {
  const { seconds, log } = ctx;
  const intervalMs = 5_000;
  const started = Date.now();
  const samples = [];
  let stop = false;

  const sampling = (async () => {
    while (!stop) {
      const at = (Date.now() - started) / 1000;
      const sample = { at: Math.round(at) };
      for (const app of APPS) {
        sample[app] = {
          rssMb: mb(procStatus(ctx.pids[app])?.rssKb ?? NaN),
          heapUsedMb: await heapUsedMb(ctx.metricsPorts?.[app] ?? ctx.ports[app]),
        };
      }
      const counts = await ctx.counts();
      sample.backlog = { events: counts.eventsPending, deliveries: counts.deliveriesPending };
      samples.push(sample);
      log(
        `soak ${sample.at}s: ` +
          APPS.map(
            (app) => `${app} ${sample[app].rssMb} MB (heap ${sample[app].heapUsedMb ?? '?'})`,
          ).join(' · ') +
          ` · backlog ${counts.eventsPending} events, ${counts.deliveriesPending} deliveries`,
      );
      await sleep(intervalMs);
    }
  })();

  // Outbound: a steady stream of deliveries; admin: list both kinds every 2 s.
  let published = 0;
  const outbound = (async () => {
    while (!stop) {
      const tick = Date.now();
      await Promise.all(Array.from({ length: 10 }, () => ctx.publish(published++)));
      await sleep(Math.max(0, 200 - (Date.now() - tick)));
    }
  })();
  let adminCalls = 0;
  let adminFailures = 0;
  const admin = (async () => {
    while (!stop) {
      for (const path of ['/inbound-events?limit=50', '/deliveries?limit=50']) {
        const res = await ctx.adminGet(path);
        adminCalls += 1;
        if (res.status !== 200) adminFailures += 1;
      }
      await sleep(2_000);
    }
  })();

  const inbound = await ctx.inboundLoad(seconds);
  stop = true;
  await Promise.all([outbound, admin, sampling]);
  const loadSeconds = (Date.now() - started) / 1000;

  // Everything accepted must still drain: growth of the backlog would be a leak too.
  log('soak: load stopped; waiting for the backlog to drain');
  const drainStarted = Date.now();
  let counts = await ctx.counts();
  while (
    (counts.eventsPending > 0 || counts.deliveriesPending > 0) &&
    Date.now() - drainStarted < 120_000
  ) {
    await sleep(1_000);
    counts = await ctx.counts();
  }

  const measured = samples.filter((s) => s.at >= WARMUP_SECONDS);
  const firstMinute = measured.filter((s) => s.at < WARMUP_SECONDS + 60);
  const lastMinute = measured.filter((s) => s.at >= measured.at(-1).at - 60);
  const apps = {};
  for (const app of APPS) {
    const rss = (list) => list.map((s) => s[app].rssMb).filter(Number.isFinite);
    const early = median(rss(firstMinute));
    const late = median(rss(lastMinute));
    const growthMb = Math.round((late - early) * 10) / 10;
    const grew = growthMb > GROWTH_LIMIT_MB && growthMb > early * GROWTH_LIMIT_RATIO;
    const all = rss(samples);
    apps[app] = {
      startMb: all[0],
      afterWarmupMb: early,
      peakMb: Math.max(...all),
      endMb: all.at(-1),
      lastMinuteMedianMb: late,
      growthMb,
      grew,
      overTarget: Math.max(...all) > RSS_TARGET_MB,
      heapUsedMb: {
        afterWarmup: median(firstMinute.map((s) => s[app].heapUsedMb).filter(Number.isFinite)),
        lastMinute: median(lastMinute.map((s) => s[app].heapUsedMb).filter(Number.isFinite)),
      },
    };
  }
  return {
    seconds: Math.round(loadSeconds),
    intervalMs,
    warmupSeconds: WARMUP_SECONDS,
    growthRule: `last-minute median RSS more than ${GROWTH_LIMIT_MB} MB and ${GROWTH_LIMIT_RATIO * 100}% above the median of the first minute after a ${WARMUP_SECONDS} s warm-up`,
    inbound,
    outboundPublished: published,
    adminCalls,
    adminFailures,
    drained: counts.eventsPending === 0 && counts.deliveriesPending === 0,
    finalCounts: counts,
    apps,
    samples,
    failed:
      Object.values(apps).some((a) => a.grew) ||
      adminFailures > 0 ||
      !(counts.eventsPending === 0 && counts.deliveriesPending === 0),
  };
}

/** The printed summary of a soak. */
export function soakTable(result, formatTable) {
  const rows = APPS.map((app) => {
    const a = result.apps[app];
    return {
      app,
      start: String(a.startMb),
      warm: String(a.afterWarmupMb),
      peak: String(a.peakMb),
      end: String(a.endMb),
      growth: `${a.growthMb >= 0 ? '+' : ''}${a.growthMb}`,
      heap: `${a.heapUsedMb.afterWarmup ?? '?'} → ${a.heapUsedMb.lastMinute ?? '?'}`,
      verdict: a.grew ? 'GROWS' : 'flat',
      target: a.overTarget ? `NO (peak > ${RSS_TARGET_MB})` : 'yes',
    };
  });
  return formatTable(
    [
      { key: 'app', title: 'app' },
      { key: 'start', title: 'RSS start MB' },
      { key: 'warm', title: `after ${WARMUP_SECONDS} s` },
      { key: 'peak', title: 'peak' },
      { key: 'end', title: 'end' },
      { key: 'growth', title: 'growth (last min − first min)' },
      { key: 'heap', title: 'V8 heap used MB' },
      { key: 'verdict', title: 'growth' },
      { key: 'target', title: `≤ ${RSS_TARGET_MB} MB` },
    ],
    rows,
  );
}
