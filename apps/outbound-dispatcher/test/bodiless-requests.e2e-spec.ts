import { Webhook } from 'standardwebhooks';
import { startHarness, type Harness } from '../../../test/support/harness';
import { sinkEndpointBody, unique, whsec } from '../../../test/support/fixtures';
import { startSink, type Sink } from '../../../test/support/sink';
import { waitFor } from '../../../test/support/wait';

/**
 * Body-less outbound requests (issue 26 item 3) through the admin, Redis/BullMQ and the
 * dispatcher to a loopback sink: a GET endpoint (`bodyMode: "none"`) sends no body and no
 * content type, carries payload fields as query parameters mapped by `queryRules` (encoded,
 * after the path's own query, never able to change host or path), and is still signed —
 * over the empty body. A GET with a body mode or payload rules is refused at save.
 */
jest.setTimeout(90_000);

describe('outbound GET and body-less requests', () => {
  let harness: Harness;
  let sink: Sink;

  beforeAll(async () => {
    harness = await startHarness({
      dispatcher: true,
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    sink = await startSink();
  });

  afterAll(async () => {
    await sink?.close();
    await harness?.close();
  });

  beforeEach(() => {
    sink.requests.length = 0;
  });

  it('sends GET with no body, the mapped query, and a Standard Webhooks signature of the empty body', async () => {
    const secret = whsec('get-endpoint');
    const code = unique('get');
    const created = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        method: 'GET',
        bodyMode: undefined, // a GET defaults to none
        targetPath: '/orders/{orderId}?v=2',
        queryRules: [
          { name: 'status', source: { kind: 'payload', path: 'order.status' } },
          { name: 'tag', source: { kind: 'payload', path: 'order.tags' } },
          { name: 'note', source: { kind: 'payload', path: 'order.note' } },
          { name: 'total', source: { kind: 'payload', path: 'order.total' }, transform: 'string' },
          { name: 'absent', source: { kind: 'payload', path: 'order.nothing' } },
        ],
        signing: { type: 'standard-webhooks', secret },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ method: 'GET', bodyMode: 'none' });
    expect(created.body.queryRules).toHaveLength(5);

    const hostile = '../../admin?x=1&y=2#frag';
    const answer = await harness.admin('/deliveries?wait=10', {
      body: {
        endpoint: code,
        payload: { order: { status: 'paid', tags: ['a', 'b c'], note: hostile, total: 42 } },
        context: { orderId: 'A/1' },
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.attempt).toMatchObject({ outcome: 'success', status: 200 });

    expect(sink.requests).toHaveLength(1);
    const [request] = sink.requests;
    expect(request.method).toBe('GET');
    expect(request.body.length).toBe(0);
    expect(request.headers['content-type']).toBeUndefined();
    expect(request.headers['content-length']).toBeUndefined();
    expect(request.headers['transfer-encoding']).toBeUndefined();
    const url = new URL(request.url, sink.url);
    expect(url.pathname).toBe('/orders/A%2F1');
    expect([...url.searchParams]).toEqual([
      ['v', '2'],
      ['status', 'paid'],
      ['tag', 'a'],
      ['tag', 'b c'],
      ['note', hostile],
      ['total', '42'],
    ]);
    // The receiver verifies with the official library over the empty body.
    const webhook = new Webhook(secret);
    const headers = request.headers as Record<string, string>;
    expect(() => webhook.verify('', headers)).not.toThrow();
    expect(() => webhook.verify('{}', headers)).toThrow();
    expect(request.headers['webhook-id']).toBe(answer.body.delivery.id);

    const detail = await harness.admin(`/deliveries/${answer.body.delivery.id}`);
    expect(detail.body.attempts[0].request).toMatchObject({
      method: 'GET',
      bodyMode: 'none',
      body: '',
    });
  });

  it('sends HEAD the same way, and POST with bodyMode none as an empty body', async () => {
    const head = unique('head');
    expect(
      (
        await harness.admin('/outbound-endpoints', {
          body: sinkEndpointBody(head, sink.url, {
            method: 'HEAD',
            bodyMode: 'none',
            queryRules: [{ name: 'id', source: { kind: 'payload', path: 'id' } }],
          }),
        })
      ).status,
    ).toBe(201);
    const ping = unique('ping');
    expect(
      (
        await harness.admin('/outbound-endpoints', {
          body: sinkEndpointBody(ping, sink.url, { bodyMode: 'none' }),
        })
      ).status,
    ).toBe(201);
    for (const code of [head, ping]) {
      const sent = await harness.admin('/deliveries', {
        body: { endpoint: code, payload: { id: 7 } },
      });
      expect(sent.status).toBe(202);
    }
    await waitFor(() => (sink.requests.length === 2 ? true : undefined), { what: 'two requests' });
    const byMethod = Object.fromEntries(sink.requests.map((r) => [r.method, r]));
    expect(byMethod.HEAD.url).toBe('/hooks?id=7');
    expect(byMethod.HEAD.body.length).toBe(0);
    expect(byMethod.POST.url).toBe('/hooks');
    expect(byMethod.POST.body.length).toBe(0);
    expect(byMethod.POST.headers['content-type']).toBeUndefined();
  });

  it('refuses a GET with a body at save, field by field, and stores nothing', async () => {
    const code = unique('get-bad');
    const withBody = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, { method: 'GET', bodyMode: 'json' }),
    });
    expect(withBody.status).toBe(400);
    expect(withBody.body.details.map((d: { field: string }) => d.field)).toEqual(['bodyMode']);

    const withRules = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        method: 'GET',
        bodyMode: undefined,
        payloadRules: [{ path: 'x', source: { kind: 'payload', path: 'y' } }],
      }),
    });
    expect(withRules.status).toBe(400);
    expect(withRules.body.details.map((d: { field: string }) => d.field)).toEqual(['payloadRules']);

    const badRule = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(code, sink.url, {
        method: 'GET',
        bodyMode: 'none',
        queryRules: [{ name: 'q', source: { kind: 'header', name: 'x' } }],
      }),
    });
    expect(badRule.status).toBe(400);
    expect(badRule.body.details.map((d: { field: string }) => d.field)).toEqual([
      'queryRules.0.source',
    ]);
    const listed = await harness.admin('/outbound-endpoints?limit=500');
    expect(listed.body.items.filter((e: { code: string }) => e.code === code)).toHaveLength(0);

    // An existing POST endpoint switched to GET keeps its json body mode: refused too.
    const post = unique('post');
    const made = await harness.admin('/outbound-endpoints', {
      body: sinkEndpointBody(post, sink.url),
    });
    const switched = await harness.admin(`/outbound-endpoints/${made.body.id}`, {
      method: 'PUT',
      body: { method: 'GET' },
    });
    expect(switched.status).toBe(400);
    expect(switched.body.details.map((d: { field: string }) => d.field)).toEqual(['bodyMode']);
    const fixed = await harness.admin(`/outbound-endpoints/${made.body.id}`, {
      method: 'PUT',
      body: { method: 'GET', bodyMode: 'none' },
    });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ method: 'GET', bodyMode: 'none', queryRules: [] });
  });
});
