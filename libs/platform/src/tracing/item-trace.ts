import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * What the code calls to trace its work: a span around a unit of work, and the W3C
 * `traceparent` that carries an item's trace across a queue (job data) or a thread
 * (the gateway's writer thread). Only `@opentelemetry/api` is loaded here; the SDK is
 * started, if at all, by `start-tracing.ts` before the app loads.
 *
 * While tracing is off (the default: no OTEL_* exporter configured) every function is a
 * check of one boolean and then the plain call: no span objects, no AsyncLocalStorage.
 *
 * Items are traced one by one, but the workers batch them (a group job carries up to 16
 * items of as many traces; the use cases claim and settle them in shared statements).
 * So the trace of an item is also kept by item id while the item's span runs, and work
 * that another item derives from it (a delivery from an inbound event) is linked to that
 * trace by id, not by whichever context happens to be active in the batch.
 */
let enabled = false;

/** Called once by startTracing when the SDK is registered. */
export function markTracingEnabled(): void {
  enabled = true;
}

export function tracingEnabled(): boolean {
  return enabled;
}

const tracer = () => trace.getTracer('hookgate');

/** A traceparent from outside (job data) is used only if it is a short string. */
const MAX_TRACEPARENT_LENGTH = 64;

function traceparentOf(ctx: Context): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

function contextFrom(traceparent: unknown): Context | undefined {
  if (typeof traceparent !== 'string' || traceparent.length > MAX_TRACEPARENT_LENGTH) {
    return undefined;
  }
  const extracted = propagation.extract(ROOT_CONTEXT, { traceparent });
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** The active span's traceparent; undefined when tracing is off or no span is active. */
export function currentTraceparent(): string | undefined {
  if (!enabled) return undefined;
  return traceparentOf(context.active());
}

/** Traces of items whose span is running in this process, by item id. */
const running = new Map<string, string>();
/** Traces handed from one item to another (event → delivery) until the latter is enqueued. */
const linked = new Map<string, string>();
/** Linked entries of work rolled back before its enqueue are never taken: a bound. */
const MAX_LINKED = 10_000;

/**
 * Records that `itemId` (a delivery just created) belongs to the trace of `fromItemId`
 * (the inbound event whose processing created it), for {@link itemTraceparent}.
 */
export function linkItemTrace(itemId: string, fromItemId: string | null | undefined): void {
  if (!enabled || !fromItemId) return;
  const traceparent = running.get(fromItemId);
  if (!traceparent) return;
  if (linked.size >= MAX_LINKED) linked.delete(linked.keys().next().value!);
  linked.set(itemId, traceparent);
}

/**
 * The trace an item's next job should continue: the one linked to it, else its own
 * running span's (a retry), else the active span's. Undefined when tracing is off.
 */
export function itemTraceparent(itemId: string): string | undefined {
  if (!enabled) return undefined;
  const link = linked.get(itemId);
  if (link !== undefined) {
    linked.delete(itemId);
    return link;
  }
  return running.get(itemId) ?? currentTraceparent();
}

export interface TracedItem {
  /** The item's id (event, delivery, request job): its trace is kept under it while the span runs. */
  id: string;
  /** The W3C traceparent the item's job carried: the span's parent. */
  traceparent?: unknown;
  attributes?: Attributes;
}

/**
 * Runs one item's work in a span named `name` (a CONSUMER span: the item came off a
 * queue), the child of the trace its job carried. A string result (the item's final
 * state) is recorded as `hookgate.outcome`.
 */
export function traceItem<T>(name: string, item: TracedItem, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  const parent = contextFrom(item.traceparent) ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: SpanKind.CONSUMER, attributes: item.attributes },
    parent,
    async (span) => {
      const own = traceparentOf(trace.setSpan(parent, span));
      if (own) running.set(item.id, own);
      try {
        const result = await work();
        if (typeof result === 'string') span.setAttribute('hookgate.outcome', result);
        return result;
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        if (own && running.get(item.id) === own) running.delete(item.id);
        span.end();
      }
    },
  );
}

/**
 * Runs `work` in a span that is a child of the active one. `work` gets the span (to add
 * attributes once it knows them), or undefined while tracing is off.
 */
export function traceSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return work(undefined);
  return tracer().startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Adds the active span's `traceparent` (and `tracestate`) to outgoing HTTP headers. */
export function injectTraceHeaders(headers: Record<string, string>): void {
  if (!enabled) return;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'traceparent' || lower === 'tracestate') delete headers[name];
  }
  if (carrier.traceparent) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate) headers.tracestate = carrier.tracestate;
}

/** The active span's trace and span ids, for log lines; empty while tracing is off. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  if (!enabled) return {};
  const span = trace.getSpanContext(context.active());
  return span ? { traceId: span.traceId, spanId: span.spanId } : {};
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

export { SpanKind };
