/* eslint-disable @typescript-eslint/no-require-imports -- the SDK is loaded only when tracing is on */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { NodeTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-node';
import { markTracingEnabled } from './item-trace';

/**
 * Starts OpenTelemetry tracing for one app, configured by the standard OTEL_* variables,
 * or does nothing. It must run before the app loads `http`, `pg` and `ioredis` (each
 * app's `tracing.ts`, the first import of its `main.ts`), so that their instrumentations
 * are in place when they are first required.
 *
 * Off unless asked for: the SDK starts only when `OTEL_TRACES_EXPORTER` names an exporter
 * or an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and never with `OTEL_SDK_DISABLED=true`. Off, not
 * one SDK module is loaded and no AsyncLocalStorage is entered (see item-trace.ts).
 *
 * This is the one place besides the config classes that reads `process.env`: the OTEL_*
 * variables belong to OpenTelemetry (its exporter, sampler and batch processor read the
 * rest of them themselves), and they must be read before anything else loads.
 */
export type TracingEnv = Record<string, string | undefined>;

export interface TracingPlan {
  exporter: 'otlp' | 'console';
  protocol: 'http/protobuf' | 'http/json';
}

/** What the OTEL_* variables ask for: null when tracing stays off. */
export function tracingPlan(env: TracingEnv): TracingPlan | { refused: string } | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (exporters.includes('none')) return null;
  let exporter: TracingPlan['exporter'];
  if (exporters.length === 0) {
    if (!endpoint) return null;
    exporter = 'otlp';
  } else if (exporters[0] === 'otlp' || exporters[0] === 'console') {
    exporter = exporters[0];
  } else {
    return { refused: `OTEL_TRACES_EXPORTER=${exporters[0]} is not supported (otlp, console)` };
  }
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf'
  ).trim();
  if (exporter === 'otlp' && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    return { refused: `OTLP protocol ${protocol} is not supported (http/protobuf, http/json)` };
  }
  return { exporter, protocol: protocol === 'http/json' ? 'http/json' : 'http/protobuf' };
}

let provider: NodeTracerProvider | null = null;

/** Paths whose requests get no span: probes and scrapes, many times a minute. */
function unobserved(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/health') || url.startsWith('/metrics'));
}

/**
 * Starts the SDK when the environment asks for it; answers whether it did.
 * `serviceName` is the app's `service.name` unless OTEL_SERVICE_NAME overrides it.
 */
export function startTracing(serviceName: string, env: TracingEnv = process.env): boolean {
  if (provider) return true;
  const plan = tracingPlan(env);
  if (plan === null) return false;
  if ('refused' in plan) {
    process.stderr.write(`tracing stays off: ${plan.refused}\n`);
    return false;
  }
  const sdk =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const resources =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } =
    require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');

  let exporter: SpanExporter;
  if (plan.exporter === 'console') {
    exporter = new sdk.ConsoleSpanExporter();
  } else if (plan.protocol === 'http/json') {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter();
  } else {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
    exporter = new OTLPTraceExporter();
  }

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over the default.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  provider = new sdk.NodeTracerProvider({
    resource,
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  provider.register();
  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => unobserved(request.url),
    }),
    // Only inside a traced operation: the reconcilers' passes and BullMQ's blocking polls
    // would otherwise each start a trace of their own, many a second.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
  ];
  registerInstrumentations({ instrumentations });
  markTracingEnabled();
  return true;
}

/** Exports the spans still buffered and stops the SDK; for shutdown. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = null;
  await stopping?.shutdown().catch(() => undefined);
}
