import { startHarness, type Harness } from '../../../test/support/harness';

/**
 * The webhook port is public; `/metrics` is not on it (issue 21, item 8). Metrics name
 * every endpoint and how each answers (which accept unsigned traffic), so they are served on
 * a listener of their own, loopback by default, and label requests by endpoint id, never by
 * the path a tenant chose. Probes keep `/health` and `/health/ready` on the public port.
 */
describe('gateway metrics: off the webhook port, no endpoint paths', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('answers /metrics only on the metrics listener, without any endpoint path', async () => {
    const stamp = Date.now().toString(36);
    const handler = await harness.admin('/handlers', {
      body: {
        code: `ml-${stamp}`,
        name: 'metrics listener',
        direction: 'inbound',
        executionMode: 'rules',
      },
    });
    expect(handler.status).toBe(201);
    const path = `unsigned-intake-${stamp}`;
    const endpoint = await harness.admin('/inbound-endpoints', {
      body: { name: path, path, handler: handler.body.code, signature: { mode: 'none' } },
    });
    expect(endpoint.status).toBe(201);
    const sent = await fetch(`${harness.inboundUrl}/webhooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":1}',
    });
    expect(sent.status).toBe(202);

    // The public port: no metrics, by any method or spelling; health stays for probes.
    for (const url of ['/metrics', '/metrics/', '/metrics?x=1']) {
      const res = await fetch(`${harness.inboundUrl}${url}`);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      expect(await res.text()).not.toContain('hookgate_');
    }
    expect((await fetch(`${harness.inboundUrl}/health`)).status).toBe(200);
    expect((await fetch(`${harness.inboundUrl}/health/ready`)).status).toBe(200);

    // The metrics listener: loopback by default, the request counted by endpoint id.
    expect(new URL(harness.inboundMetricsUrl).hostname).toBe('127.0.0.1');
    const res = await fetch(`${harness.inboundMetricsUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const counted = text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('hookgate_inbound_requests_total{') &&
          line.includes(`endpoint="${endpoint.body.id}"`) &&
          line.includes('status="202"'),
      );
    expect(counted.map((line) => line.split(' ').at(-1))).toEqual(['1']);
    expect(text).not.toContain(path);
    expect((await fetch(`${harness.inboundMetricsUrl}/webhooks/${path}`)).status).toBe(404);
  });
});
