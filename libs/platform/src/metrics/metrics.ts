import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { cachedReading } from './scrape-reading';

/**
 * The product's Prometheus metrics, as plain prom-client objects so hot paths (the
 * gateway's raw Express handler, workers) record without going through DI. One registry
 * per process; `GET /metrics` on every app renders it.
 */
export const registry = new Registry();
let defaultsStarted = false;

export function startDefaultMetrics(app: string): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
}

/**
 * `endpoint` is the matched endpoint's id (bounded by configuration; never its path, which
 * would list every tenant's paths) or `unmatched`.
 */
export const inboundRequests = new Counter({
  name: 'hookgate_inbound_requests_total',
  help: 'Webhook requests received, by endpoint id and HTTP status answered',
  labelNames: ['endpoint', 'status'] as const,
  registers: [registry],
});

/**
 * Every HTTP answer of every app, by method, route template and status; its `_count` is the
 * request count. `route` is the template Express matched (`/api/v1/handlers/:id`,
 * `/webhooks/*path`), `unmatched` for 404s, never the raw path, so cardinality stays fixed.
 */
export const httpRequestDuration = new Histogram({
  name: 'hookgate_http_request_duration_seconds',
  help: 'HTTP requests by method, route template and status (the _count is the request count)',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** The route label of the gateway's raw webhook route. */
export const WEBHOOK_ROUTE = '/webhooks/*path';

/**
 * Endpoint configurations read from Postgres by the gateway (cache misses), by whether an
 * active endpoint was found. A rise in `missing` is traffic to paths that do not exist.
 */
export const inboundEndpointLookups = new Counter({
  name: 'hookgate_inbound_endpoint_lookups_total',
  help: 'Endpoint configurations the gateway read from Postgres (cache misses), by result',
  labelNames: ['result'] as const,
  registers: [registry],
});

/** `endpoint` is the endpoint's id, as in hookgate_inbound_requests_total. */
export const inboundRejectedUnstored = new Counter({
  name: 'hookgate_inbound_rejected_unstored_total',
  help: 'Rejected requests not stored because the endpoint exceeded its rejected-events budget',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

export const inboundEventsProcessed = new Counter({
  name: 'hookgate_inbound_events_processed_total',
  help: 'Inbound events processed by the worker, by final outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const outboundDeliveriesFinished = new Counter({
  name: 'hookgate_outbound_deliveries_total',
  help: 'Outbound delivery outcomes per attempt (done, retry, error, dead_letter, canceled)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const outboundDeliveriesPostponed = new Counter({
  name: 'hookgate_outbound_deliveries_postponed_total',
  help: 'Deliveries put back to the queue without an attempt: rate_limit, endpoint_concurrency (the endpoint had DISPATCHER_ENDPOINT_CONCURRENCY in flight)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const outboundAttemptDuration = new Histogram({
  name: 'hookgate_outbound_attempt_duration_seconds',
  help: 'Duration of outbound HTTP attempts, by verdict (success, retry, error)',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/**
 * The publish intake (`outbound-requests`). A request the intake cannot take now —
 * Postgres unreachable, an unexpected error — is put back to wait, never failed:
 * `deferred` counts each time (reason `unavailable` or `error`), `stalled` each time one
 * held by a dead or cut-off dispatcher was handed out again. `refused` counts requests
 * that can never become deliveries, each kept as a row of `outbound_request_refusals`.
 */
export const outboundRequestsDeferred = new Counter({
  name: 'hookgate_outbound_requests_deferred_total',
  help: 'Publish requests put back to wait by the intake (unavailable: Postgres unreachable; error; stalled)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const outboundRequestsRefused = new Counter({
  name: 'hookgate_outbound_requests_refused_total',
  help: 'Publish requests refused by the intake and kept in outbound_request_refusals (malformed, unknown_job, unknown_tenant, unstorable)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Should stay 0: a job of `outbound-requests` that BullMQ failed despite the intake. */
export const outboundRequestsFailed = new Counter({
  name: 'hookgate_outbound_requests_failed_total',
  help: 'Publish requests BullMQ moved to failed despite the intake (should stay 0; see the dispatcher log)',
  registers: [registry],
});

export const reconcilerActions = new Counter({
  name: 'hookgate_reconciler_actions_total',
  help: 'Reconciler actions: enqueued (row without a job), rescued (job lost), lease_released',
  labelNames: ['kind', 'action'] as const,
  registers: [registry],
});

export const outboundEndpointsDisabled = new Counter({
  name: 'hookgate_outbound_endpoints_disabled_total',
  help: 'Outbound endpoints disabled by endpoint health (gone: 410; failures: count; duration: span)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export type DisabledEndpointsReader = () => Promise<Array<{ tenant: string; count: number }>>;
let readDisabledEndpoints: DisabledEndpointsReader | null = null;

/**
 * Sets (or clears, with null) how the app that owns endpoint health counts disabled
 * endpoints at scrape time (cached 30 s). Apps without a reader emit no such series.
 */
export function readDisabledEndpointsWith(reader: DisabledEndpointsReader | null): void {
  readDisabledEndpoints = reader
    ? cachedReading(reader, { ttlMs: 30_000, timeoutMs: 2_000 })
    : null;
}

export const outboundEndpointsDisabledNow = new Gauge({
  name: 'hookgate_outbound_endpoints_disabled',
  help: 'Active outbound endpoints currently disabled by endpoint health, per tenant',
  labelNames: ['tenant'] as const,
  registers: [registry],
  async collect() {
    if (!readDisabledEndpoints) return;
    try {
      const rows = await readDisabledEndpoints();
      this.reset();
      for (const { tenant, count } of rows) this.set({ tenant }, count);
    } catch {
      // Postgres unreachable: leave the last reading; /health/ready reports the outage.
    }
  },
});

/** The gateway's event-writer thread (INBOUND_WRITER_THREAD); other apps leave these at 0. */
export const inboundWriterRestarts = new Counter({
  name: 'hookgate_inbound_writer_thread_restarts_total',
  help: "Times the gateway's event-writer thread stopped unexpectedly and was replaced",
  registers: [registry],
});

export const inboundWriterHeapUsed = new Gauge({
  name: 'hookgate_inbound_writer_thread_heap_used_bytes',
  help: "V8 heap used by the gateway's event-writer thread (the thread reports it every 5 s)",
  registers: [registry],
});

let readWriterPending: (() => number) | null = null;

/** Sets (or clears) how the gateway counts inserts handed to its writer thread. */
export function readWriterPendingWith(reader: (() => number) | null): void {
  readWriterPending = reader;
}

export const inboundWriterPending = new Gauge({
  name: 'hookgate_inbound_writer_pending_inserts',
  help: "Inserts handed to the gateway's event-writer thread and not yet answered",
  registers: [registry],
  collect() {
    this.set(readWriterPending?.() ?? 0);
  },
});
