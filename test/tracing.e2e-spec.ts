import { HookgatePublisher } from '@app/messaging';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { freePort, spawnApp, stopApp, type RunningApp } from './support/processes';
import { sinkEndpointBody, unique } from './support/fixtures';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * Tracing (docs/operations.md, "Tracing"): the built apps, spawned with the standard OTEL_*
 * variables pointing at an OTLP/HTTP receiver on loopback, export one trace per webhook —
 * the gateway's HTTP request, its receive span, the inbound worker's processing (with its
 * Postgres and Redis calls), the dispatcher's send and the HTTP request to the receiver,
 * each the child of the one before, across the writer thread and two queues — and the
 * receiver gets that trace's `traceparent`. A publish continues the publisher's trace
 * through the intake to the send.
 */
jest.setTimeout(120_000);
const ADMIN_KEY = 'test-admin-key-tracing-0123456789';
const PREFIX = `${process.env.QUEUE_PREFIX}_tracing`;

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

describe('tracing: one trace from the provider to the receiver', () => {
  const apps: RunningApp[] = [];
  const runningApps = new Map<string, RunningApp>();
  let otlp: OtlpReceiver;
  let sink: Sink;
  let adminPort: number;
  let gatewayPort: number;

  async function start(
    app: 'admin' | 'inbound-gateway' | 'outbound-dispatcher',
    portVariable: string,
  ): Promise<number> {
    const port = await freePort();
    const running = spawnApp(app, {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: PREFIX,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // The per-item lines of successes are debug.
      LOG_LEVEL: 'debug',
      [portVariable]: String(port),
    });
    apps.push(running);
    runningApps.set(app, running);
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
      { timeoutMs: 60_000, what: `${app} ready on ${port}: ${running.output()}` },
    );
    return port;
  }

  async function admin(path: string, body: unknown): Promise<any> {
    const res = await fetch(`http://127.0.0.1:${adminPort}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json()) as unknown;
    expect(res.status).toBe(201);
    return parsed;
  }

  /** Waits for a span matching `where` to have been exported. */
  function span(what: string, where: (s: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    return waitFor(async () => otlp.spans.find(where), { timeoutMs: 20_000, what });
  }

  /** Waits for a JSON log line of `app` matching `where`. */
  function logLine(
    app: string,
    where: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    return waitFor(
      async () =>
        runningApps
          .get(app)!
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find(where),
      { timeoutMs: 10_000, what: `a log line of ${app}` },
    );
  }

  function childOf(parent: ReceivedSpan, child: ReceivedSpan): void {
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
  }

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    sink = await startSink();
    adminPort = await start('admin', 'ADMIN_PORT');
    gatewayPort = await start('inbound-gateway', 'INBOUND_PORT');
    await start('outbound-dispatcher', 'DISPATCHER_PORT');
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => stopApp(app)));
    await sink?.close();
    await otlp?.close();
  });

  it('follows a forwarded webhook from the gateway through processing to the receiver', async () => {
    const code = unique('traced');
    await admin('/outbound-endpoints', sinkEndpointBody(code, sink.url));
    const handler = await admin('/handlers', {
      code: `${code}-h`,
      name: `${code} forward`,
      direction: 'inbound',
      executionMode: 'rules',
      rules: [
        { sequence: 10, name: 'forward', conditions: [], action: 'forward', forwardTo: code },
      ],
    });
    const endpoint = await admin('/inbound-endpoints', {
      name: code,
      path: code,
      handler: handler.code,
    });

    const res = await fetch(`http://127.0.0.1:${gatewayPort}${endpoint.url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 1 }),
    });
    expect(res.status).toBe(202);
    const eventId = ((await res.json()) as { id: string }).id;

    const receive = await span(
      'the receive span',
      (s) => s.name === 'receive webhook' && s.attributes['hookgate.event.id'] === eventId,
    );
    expect(receive.service).toBe('hookgate-inbound-gateway');
    expect(receive.attributes['http.response.status_code']).toBe(202);
    const request = await span('the HTTP server span', (s) => s.spanId === receive.parentSpanId);
    expect(request.kind).toBe(SERVER);
    expect(request.parentSpanId).toBe('');

    // Across the writer thread and the inbound-events queue.
    const processing = await span(
      'the processing span',
      (s) => s.name === 'process inbound-event' && s.attributes['hookgate.event.id'] === eventId,
    );
    expect(processing.kind).toBe(CONSUMER);
    expect(processing.attributes['hookgate.outcome']).toBe('done');
    childOf(receive, processing);

    // Across the outbound-deliveries queue, to the other process.
    const send = await span(
      'the send span',
      (s) => s.name === 'send delivery' && s.traceId === receive.traceId,
    );
    expect(send.service).toBe('hookgate-outbound-dispatcher');
    expect(send.attributes['hookgate.outcome']).toBe('done');
    childOf(processing, send);
    const exchange = await span(
      'the HTTP client span',
      (s) => s.scope === 'hookgate' && s.kind === CLIENT && s.parentSpanId === send.spanId,
    );
    childOf(send, exchange);
    expect(exchange.attributes['http.response.status_code']).toBe(200);

    // The receiver was asked as part of that trace.
    const delivered = sink.requests.at(-1)!;
    expect(delivered.headers.traceparent).toBe(`00-${receive.traceId}-${exchange.spanId}-01`);

    // Postgres and Redis calls made while processing are in the trace too.
    await span(
      'a Postgres span under processing',
      (s) =>
        s.scope.includes('instrumentation-pg') &&
        s.traceId === receive.traceId &&
        s.parentSpanId === processing.spanId,
    );
    await span(
      'a Redis span in the trace',
      (s) => s.scope.includes('instrumentation-ioredis') && s.traceId === receive.traceId,
    );
    expect(otlp.malformed).toBe(0);

    // Each worker's line for its item names the tenant, endpoint, item, attempt and trace.
    const eventLine = await logLine('inbound-gateway', (l) => l.eventId === eventId);
    expect(eventLine).toMatchObject({
      context: 'ProcessInboundEvent',
      tenantId: expect.any(String),
      endpoint: code,
      attempt: 1,
      state: 'done',
      traceId: receive.traceId,
    });
    const deliveryLine = await logLine(
      'outbound-dispatcher',
      (l) => typeof l.deliveryId === 'string' && l.traceId === receive.traceId,
    );
    expect(deliveryLine).toMatchObject({
      context: 'SendDelivery',
      tenantId: eventLine.tenantId,
      endpoint: code,
      attempt: 1,
      state: 'done',
      status: 200,
      spanId: send.spanId,
    });
  });

  it('continues a publisher trace through the intake to the send', async () => {
    const code = unique('traced-pub');
    await admin(
      '/outbound-endpoints',
      sinkEndpointBody(code, sink.url, { eventTypes: [`${code}.paid`] }),
    );
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const publisherSpanId = '0123456789abcdef';
    const publisher = new HookgatePublisher({ redisUrl: process.env.REDIS_URL, prefix: PREFIX });
    try {
      await publisher.publish({
        eventType: `${code}.paid`,
        payload: { order: 2 },
        traceparent: `00-${traceId}-${publisherSpanId}-01`,
      });
    } finally {
      await publisher.close();
    }

    const intake = await span(
      'the intake span',
      (s) => s.name === 'intake publish' && s.traceId === traceId,
    );
    expect(intake.service).toBe('hookgate-outbound-dispatcher');
    expect(intake.kind).toBe(CONSUMER);
    expect(intake.parentSpanId).toBe(publisherSpanId);
    const send = await span(
      'the send span',
      (s) => s.name === 'send delivery' && s.traceId === traceId,
    );
    childOf(intake, send);
    const exchange = await span(
      'the HTTP client span',
      (s) => s.scope === 'hookgate' && s.kind === CLIENT && s.parentSpanId === send.spanId,
    );
    const delivered = await waitFor(
      async () =>
        sink.requests.find((r) => String(r.headers.traceparent).includes(traceId)) ?? undefined,
      { timeoutMs: 10_000, what: 'the published request at the sink' },
    );
    expect(delivered.headers.traceparent).toBe(`00-${traceId}-${exchange.spanId}-01`);
  });
});
