import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

export const inboundRequests = new Counter({
  name: 'hookgate_inbound_requests_total',
  help: 'Webhook requests received, by endpoint path and HTTP status answered',
  labelNames: ['endpoint', 'status'] as const,
  registers: [registry],
});

export const inboundRequestDuration = new Histogram({
  name: 'hookgate_inbound_request_duration_seconds',
  help: 'Time from request start to answer on /webhooks/*',
  labelNames: ['status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

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

export const outboundAttemptDuration = new Histogram({
  name: 'hookgate_outbound_attempt_duration_seconds',
  help: 'Duration of outbound HTTP attempts',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const reconcilerActions = new Counter({
  name: 'hookgate_reconciler_actions_total',
  help: 'Items the reconciler re-enqueued or released from an expired lease',
  labelNames: ['kind', 'action'] as const,
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: 'hookgate_queue_depth',
  help: 'Jobs waiting per queue and state',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
});
