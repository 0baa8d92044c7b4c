import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startHarness, type Harness } from '../../../test/support/harness';
import { buildHandlerRegistry } from '@app/callbacks';
import { sinkEndpointBody, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Outbound callbacks end to end (issue 26 item 5): the admin API accepts a handler naming
 * the shipped `content-digest` callback, the dispatcher runs it before the send, and the
 * loopback sink sees its header over the exact, still-verifiable body. A callback that
 * throws ends its delivery in `error`, named, with the stack kept, and nothing is sent.
 */
jest.setTimeout(90_000);
const db = () => process.env.DATABASE_URL!;
const whsec = `whsec_${randomBytes(24).toString('base64')}`;

describe('outbound callbacks', () => {
  let harness: Harness;
  let sink: Sink;

  beforeAll(async () => {
    // The shipped callbacks plus one that fails, as a team's buggy callback would.
    const registry = buildHandlerRegistry().registerOutbound('explodes', () => {
      throw new TypeError('cannot read properties of undefined (reading "sku")');
    });
    harness = await startHarness({
      dispatcher: true,
      dispatcherRegistry: registry,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
  });

  afterAll(async () => {
    await sink?.close();
    await harness?.close();
  });

  async function deliveryOf(code: string) {
    return waitFor(
      async () => {
        const [row] = await query<{
          state: string;
          attempts: number;
          last_error: string | null;
          error_stack: string | null;
        }>(
          db(),
          `SELECT state, attempts, last_error, error_stack FROM deliveries WHERE endpoint_code = $1`,
          [code],
        );
        return row && ['done', 'error', 'dead_letter'].includes(row.state) ? row : undefined;
      },
      { timeoutMs: 20_000, what: `the delivery to ${code} settles` },
    );
  }

  it('refuses an outbound handler naming an unknown callback and lists the shipped one', async () => {
    const res = await harness.admin('/handlers', {
      body: {
        code: unique('cb'),
        name: 'typo',
        direction: 'outbound',
        executionMode: 'callback',
        callback: 'content-digets',
      },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.details)).toContain('registered: content-digest');
  });

  it('content-digest: the sink gets the RFC 9530 digest of the signed body', async () => {
    const handler = await harness.admin('/handlers', {
      body: {
        code: unique('cb'),
        name: 'digest',
        direction: 'outbound',
        executionMode: 'callback',
        callback: 'content-digest',
      },
    });
    expect(handler.status).toBe(201);
    const code = unique('digest');
    const endpoint = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        handler: handler.body.code,
        signing: { type: 'standard-webhooks', secret: whsec },
      }),
    });
    expect(endpoint.status).toBe(201);
    const marker = unique('m');
    const sent = await harness.admin('/deliveries', {
      body: { endpoint: code, payload: { marker, items: [{ sku: 'A', qty: 2 }] } },
    });
    expect(sent.status).toBe(202);

    const row = await deliveryOf(code);
    expect(row).toMatchObject({ state: 'done', attempts: 1, last_error: null });
    const requests = sink.requests.filter((r) => r.body.toString().includes(marker));
    expect(requests).toHaveLength(1);
    const [request] = requests;
    const digest = createHash('sha256').update(request.body).digest('base64');
    expect(request.headers['content-digest']).toBe(`sha-256=:${digest}:`);
    expect(JSON.parse(request.body.toString())).toEqual({ marker, items: [{ sku: 'A', qty: 2 }] });
    // The callback changed headers only: the Standard Webhooks signature still verifies.
    expect(
      new Webhook(whsec).verify(request.body.toString(), request.headers as Record<string, string>),
    ).toEqual({ marker, items: [{ sku: 'A', qty: 2 }] });
  });

  it('a callback that throws ends the delivery in error, named, with its stack; nothing sent', async () => {
    const code = unique('boom');
    const endpoint = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url),
    });
    expect(endpoint.status).toBe(201);
    // Saved the way the admin API saves it when the callback is registered in its build.
    const [handler] = await query<{ code: string }>(
      db(),
      `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode, callback)
       SELECT tenant_id, $2, 'explodes', 'outbound', 'callback', 'explodes'
         FROM outbound_endpoints WHERE id = $1
       RETURNING code`,
      [endpoint.body.id, unique('cb')],
    );
    const attached = await harness.admin(`/outbound-endpoints/${endpoint.body.id}`, {
      method: 'PUT',
      body: { handler: handler.code },
    });
    expect(attached.status).toBe(200);
    const marker = unique('m');
    const sent = await harness.admin('/deliveries', {
      body: { endpoint: code, payload: { marker } },
    });
    expect(sent.status).toBe(202);

    const row = await deliveryOf(code);
    expect(row.state).toBe('error');
    expect(row.last_error).toBe(
      'outbound callback "explodes" threw: cannot read properties of undefined (reading "sku")',
    );
    expect(row.error_stack).toMatch(/^TypeError: cannot read properties/);
    expect(row.error_stack).toContain('outbound-callbacks.e2e-spec.ts');
    expect(sink.requests.filter((r) => r.body.toString().includes(marker))).toHaveLength(0);

    const read = await harness.admin(`/deliveries/${sent.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ state: 'error' });
  });
});
