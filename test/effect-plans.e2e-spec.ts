import { HookgatePublisher } from '@app/messaging';
import { startHarness, type Harness } from './support/harness';
import {
  createHandler,
  createInboundEndpoint,
  insertDraftOutboundEndpoint,
  post,
  sinkEndpointBody,
  unique,
} from './support/fixtures';
import { defaultTenantId, query } from './support/database';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * One planner, two readers (issue 22): for every rule action, the real inbound worker and
 * the real dispatcher run an event or a delivery, and the rule simulator, given the same
 * input, reports what they did — the state reached, the retry time, the record written,
 * the delivery forwarded, the request sent.
 */
jest.setTimeout(120_000);
const db = () => process.env.DATABASE_URL!;

interface StoredEvent {
  id: string;
  state: string;
  error: string | null;
  retry_seconds: number | null;
  headers: Record<string, string>;
  query: Record<string, string>;
  semantic: Record<string, unknown>;
  payload: unknown;
  execution_log: { records?: Array<{ model: string; recordId: string; operation: string }> };
  endpoint_path: string;
  received_at: Date;
  attempts: number;
}

interface StoredDelivery {
  id: string;
  state: string;
  last_error: string | null;
  retry_seconds: number | null;
  payload: unknown;
  context: Record<string, string>;
  event_type: string | null;
  idempotency_key: string | null;
  created_at: Date;
  attempts: number;
}

describe('the simulator reports what the workers do, for every action', () => {
  let harness: Harness;
  let sink: Sink;
  let publisher: HookgatePublisher;
  let tenantId: string;
  const forwardCode = unique('plan-fwd');

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
    publisher = new HookgatePublisher({
      redisUrl: process.env.REDIS_URL,
      prefix: process.env.QUEUE_PREFIX,
    });
    tenantId = await defaultTenantId();
    // Draft: a forwarded delivery waits there, nothing is sent.
    await insertDraftOutboundEndpoint(forwardCode, 'forward target');
  });

  afterAll(async () => {
    await publisher?.close();
    await sink?.close();
    await harness?.close();
  });

  describe('inbound', () => {
    const orderId = [{ field: 'orderId', source: { kind: 'payload', path: 'id' } }];
    const assignments = [
      ...orderId,
      { field: 'total', source: { kind: 'payload', path: 'total' } },
    ];

    /** Runs one event through the worker, then simulates the same event. */
    async function runAndSimulate(rule: Record<string, unknown>, maxRetries = 3) {
      const handler = await createHandler(harness, {
        maxRetries,
        rules: [{ sequence: 10, name: 'the rule', conditions: [], ...rule }],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const body = { id: unique('ord'), total: 42 };
      const res = await post(harness, `/webhooks/${endpoint.path}`, JSON.stringify(body), {
        'Idempotency-Key': unique('idem'),
      });
      expect(res.status).toBe(202);
      const event = await waitFor(
        async () => {
          const [row] = await query<StoredEvent>(
            db(),
            `SELECT id, state, error, extract(epoch FROM due_at - updated_at)::float8 AS retry_seconds,
                    headers, query, semantic, payload, execution_log, endpoint_path, received_at, attempts
               FROM inbound_events WHERE id = $1`,
            [res.body.id],
          );
          return row && row.attempts >= 1 && row.state !== 'processing' ? row : undefined;
        },
        { what: 'the event to be processed' },
      );
      const simulated = await harness.admin(`/handlers/${handler.id}/simulate`, {
        body: {
          payload: event.payload,
          headers: event.headers,
          query: event.query,
          semantic: event.semantic,
          event: {
            id: event.id,
            receivedAt: new Date(event.received_at).toISOString(),
            endpointPath: event.endpoint_path,
            attempts: event.attempts,
          },
        },
      });
      expect(simulated.status).toBe(200);
      return { event, effects: simulated.body.effects, body };
    }

    /** What the worker did, in the simulator's words (records and deliveries compared apart). */
    function settled(event: StoredEvent, maxRetries = 3) {
      switch (event.state) {
        case 'dead_letter':
          return { state: 'dead_letter', reason: event.error };
        case 'received':
          return { state: 'received', retryInSeconds: event.retry_seconds, maxRetries };
        default:
          return { state: event.state };
      }
    }

    it.each([
      ['done', {}],
      ['dead_letter', {}],
      ['retry', { retrySeconds: 3600 }],
    ])('%s: the state and retry time the worker wrote', async (action, extra) => {
      const { event, effects } = await runAndSimulate({ action, ...extra });
      expect(effects).toEqual(settled(event));
      expect(event.state).toBe(action === 'retry' ? 'received' : action);
    });

    it('retry past maxRetries: both dead-letter', async () => {
      const { event, effects } = await runAndSimulate({ action: 'retry', retrySeconds: 3600 }, 0);
      expect(event.state).toBe('dead_letter');
      expect(effects).toEqual(settled(event, 0));
    });

    async function recordOf(event: StoredEvent) {
      const written = event.execution_log.records ?? [];
      expect(written).toHaveLength(1);
      const [record] = await query<{ model: string; data: Record<string, unknown> }>(
        db(),
        `SELECT model, data FROM records WHERE id = $1`,
        [written[0].recordId],
      );
      return { ...record, operation: written[0].operation };
    }

    it.each([
      ['create_record', 'create', 'created'],
      ['upsert_record', 'upsert', 'created'],
    ])('%s: the record the worker wrote', async (action, operation, logged) => {
      const model = unique('plan_rec').replace(/-/g, '_');
      const { event, effects, body } = await runAndSimulate({
        action,
        targetModel: model,
        lookups: orderId,
        assignments,
      });
      const record = await recordOf(event);
      expect(effects).toEqual({
        ...settled(event),
        record: {
          model: record.model,
          operation,
          lookup: [{ field: 'orderId', value: body.id }],
          data: record.data,
        },
      });
      expect(record.operation).toBe(logged);
    });

    it('update_record: the record the worker updated, and a dead letter when none matches', async () => {
      const model = unique('plan_upd').replace(/-/g, '_');
      const rule = { action: 'update_record', targetModel: model, lookups: orderId, assignments };
      const missing = await runAndSimulate(rule);
      expect(missing.event.state).toBe('dead_letter');
      expect(missing.effects).toEqual(settled(missing.event));

      // A record for the next event's order id: the update finds it.
      const handler = await createHandler(harness, {
        rules: [{ sequence: 10, name: 'the rule', conditions: [], ...rule }],
      });
      const endpoint = await createInboundEndpoint(harness, { handler: handler.code });
      const body = { id: unique('ord'), total: 7 };
      await query(db(), `INSERT INTO records (tenant_id, model, data) VALUES ($1, $2, $3)`, [
        tenantId,
        model,
        JSON.stringify({ orderId: body.id, total: 1, kept: true }),
      ]);
      const res = await post(harness, `/webhooks/${endpoint.path}`, JSON.stringify(body), {
        'Idempotency-Key': unique('idem'),
      });
      const event = await waitFor(
        async () => {
          const [row] = await query<StoredEvent>(
            db(),
            `SELECT id, state, error, payload, execution_log, endpoint_path, received_at, attempts,
                    headers, query, semantic
               FROM inbound_events WHERE id = $1`,
            [res.body.id],
          );
          return row && ['done', 'dead_letter', 'error'].includes(row.state) ? row : undefined;
        },
        { what: 'the update event to be processed' },
      );
      const simulated = await harness.admin(`/handlers/${handler.id}/simulate`, {
        body: {
          payload: event.payload,
          event: { id: event.id, endpointPath: event.endpoint_path, attempts: event.attempts },
        },
      });
      const record = await recordOf(event);
      expect(record.operation).toBe('updated');
      expect(record.data).toEqual({ orderId: body.id, total: 7, kept: true });
      expect(simulated.body.effects).toEqual({
        state: event.state,
        record: {
          model,
          operation: 'update',
          lookup: [{ field: 'orderId', value: body.id }],
          data: { orderId: body.id, total: 7 },
        },
      });
    });

    it('forward: the delivery the worker created', async () => {
      const { event, effects } = await runAndSimulate({
        action: 'forward',
        forwardTo: forwardCode,
        assignments,
      });
      const deliveries = await query<{ endpoint_code: string; payload: unknown }>(
        db(),
        `SELECT endpoint_code, payload FROM deliveries WHERE source_event_id = $1`,
        [event.id],
      );
      expect(deliveries).toHaveLength(1);
      expect(effects).toEqual({
        ...settled(event),
        delivery: { endpoint: deliveries[0].endpoint_code, payload: deliveries[0].payload },
      });
    });
  });

  describe('outbound', () => {
    beforeEach(() => {
      sink.requests.length = 0;
      sink.fallback = { status: 200, body: 'ok' };
    });

    /** Publishes one delivery to an endpoint with the rule, then simulates the same delivery. */
    async function runAndSimulate(rule: Record<string, unknown>, maxAttempts = 3) {
      const handler = await createHandler(harness, {
        direction: 'outbound',
        rules: [{ sequence: 10, name: 'the rule', conditions: [], ...rule }],
      });
      const code = unique('plan-out');
      const created = await harness.admin('/outbound-endpoints', {
        body: sinkEndpointBody(code, sink.url, {
          handler: handler.code,
          retryPolicy: { maxAttempts, initialDelaySeconds: 1, multiplier: 1, maxDelaySeconds: 5 },
        }),
      });
      expect(created.status).toBe(201);
      await publisher.deliver({
        endpoint: code,
        payload: { id: unique('ord'), total: 42 },
        context: { orderId: 'A-42' },
      });
      const delivery = await waitFor(
        async () => {
          const [row] = await query<StoredDelivery>(
            db(),
            `SELECT id, state, last_error,
                    extract(epoch FROM next_attempt_at - updated_at)::float8 AS retry_seconds,
                    payload, context, event_type, idempotency_key, created_at, attempts
               FROM deliveries WHERE endpoint_code = $1`,
            [code],
          );
          return row && row.attempts >= 1 && row.state !== 'processing' ? row : undefined;
        },
        { what: 'the delivery to be dispatched' },
      );
      const simulated = await harness.admin(`/handlers/${handler.id}/simulate`, {
        body: {
          payload: delivery.payload,
          context: delivery.context,
          endpoint: code,
          delivery: {
            id: delivery.id,
            createdAt: new Date(delivery.created_at).toISOString(),
            ...(delivery.event_type ? { eventType: delivery.event_type } : {}),
            ...(delivery.idempotency_key ? { idempotencyKey: delivery.idempotency_key } : {}),
            attempts: delivery.attempts,
          },
        },
      });
      expect(simulated.status).toBe(200);
      return { delivery, effects: simulated.body.effects };
    }

    /** What the dispatcher did, in the simulator's words. */
    function settled(delivery: StoredDelivery) {
      switch (delivery.state) {
        case 'dead_letter':
        case 'canceled':
          return { state: delivery.state, reason: delivery.last_error };
        case 'queued':
          return { state: 'queued', retryInSeconds: delivery.retry_seconds };
        default:
          return { state: delivery.state };
      }
    }

    it('send: the request the dispatcher sent', async () => {
      const { delivery, effects } = await runAndSimulate({ action: 'send' });
      expect(delivery.state).toBe('done');
      expect(sink.requests).toHaveLength(1);
      expect(effects).toEqual({
        state: 'send',
        payload: JSON.parse(sink.requests[0].body.toString()),
      });
    });

    it('mutate: the payload and header the dispatcher sent', async () => {
      const { delivery, effects } = await runAndSimulate({
        action: 'mutate',
        assignments: [
          { field: 'meta.tagged', source: { kind: 'literal', value: true } },
          { field: 'headers.X-Order', source: { kind: 'context', key: 'orderId' } },
        ],
      });
      expect(delivery.state).toBe('done');
      expect(sink.requests).toHaveLength(1);
      const sent = sink.requests[0];
      expect(effects).toEqual({
        state: 'send',
        payload: JSON.parse(sent.body.toString()),
        headers: { 'X-Order': sent.headers['x-order'] },
      });
      expect(effects.payload.meta).toEqual({ tagged: true });
    });

    it.each([
      ['done', {}, 'done'],
      ['dead_letter', {}, 'dead_letter'],
      ['cancel', {}, 'canceled'],
      ['retry', { retrySeconds: 3600 }, 'queued'],
    ])('%s: the state and retry time the dispatcher wrote', async (action, extra, state) => {
      const { delivery, effects } = await runAndSimulate({ action, ...extra });
      expect(delivery.state).toBe(state);
      expect(effects).toEqual(settled(delivery));
      expect(sink.requests).toHaveLength(0);
    });

    it('retry once the endpoint’s attempts are used up: both dead-letter', async () => {
      const { delivery, effects } = await runAndSimulate(
        { action: 'retry', retrySeconds: 3600 },
        1,
      );
      expect(delivery.state).toBe('dead_letter');
      expect(effects).toEqual(settled(delivery));
    });
  });
});
