import { startHarness, type Harness } from '../../../test/support/harness';
import { waitFor } from '../../../test/support/wait';

/**
 * The walking skeleton, end to end against the real Postgres and Redis: a webhook posted
 * to an endpoint with no signature is stored byte-exact as `received`, enqueued, processed
 * by the inbound worker to `done`, and visible in the admin API.
 */
describe('walking skeleton: /webhooks → received → done → admin', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('stores, processes and shows a webhook', async () => {
    const handler = await harness.admin('/handlers', {
      body: { code: 'skeleton', name: 'Skeleton', direction: 'inbound', executionMode: 'rules' },
    });
    expect(handler.status).toBe(201);
    const endpoint = await harness.admin('/inbound-endpoints', {
      body: {
        name: 'Skeleton',
        path: 'skeleton/orders',
        handler: 'skeleton',
        signature: { mode: 'none' },
      },
    });
    expect(endpoint.status).toBe(201);
    expect(endpoint.body.url).toBe('/webhooks/skeleton/orders');

    // Not valid UTF-8, and JSON-looking: stored byte for byte all the same.
    const raw = Buffer.concat([
      Buffer.from('{"order":42,"note":"'),
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from('"}'),
    ]);
    const res = await fetch(`${harness.inboundUrl}/webhooks/skeleton/orders?source=test`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: raw,
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; state: string };
    expect(accepted.state).toBe('received');

    const event = await waitFor(
      async () => {
        const found = await harness.admin(`/inbound-events/${accepted.id}`);
        return found.body?.state === 'done' ? found.body : undefined;
      },
      { what: 'the event to reach done' },
    );
    expect(Buffer.from(event.rawBody.base64, 'base64').equals(raw)).toBe(true);
    expect(event.query).toEqual({ source: 'test' });
    expect(event.attempts).toBe(1);
    expect(event.executionLog.note).toBe('no rule matched');
  });

  it('answers 404 for an unknown path and 401 for the admin API without a key', async () => {
    const res = await fetch(`${harness.inboundUrl}/webhooks/nowhere`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(404);
    const unauthorized = await harness.admin('/handlers/x', { key: 'wrong-key' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('lists every bad field of an invalid body', async () => {
    const res = await harness.admin('/handlers', {
      body: { code: 'Not A Slug', name: 'x', direction: 'sideways', executionMode: 'rules' },
    });
    expect(res.status).toBe(400);
    const fields = res.body.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['code', 'direction']));
  });
});
