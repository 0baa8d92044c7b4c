import { randomBytes } from 'node:crypto';
import { octokitSign } from './support/oracles';
import { freePort, spawnApp, stopApp, type RunningApp } from './support/processes';
import { query } from './support/database';
import { startSink, type Sink } from './support/sink';
import { waitFor } from './support/wait';

/**
 * Secrets at rest and in flight, with the three built apps as real processes (so their
 * pino output is captured as operators would see it, at debug level): secrets set through
 * the admin API are ciphertext in Postgres, are used (the sink sees the bearer token, the
 * gateway verifies the HMAC), and never appear in any API answer, log line, attempt
 * snapshot or audit entry.
 */
jest.setTimeout(180_000);
const db = () => process.env.DATABASE_URL!;
const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const tag = () => randomBytes(9).toString('hex');

describe('secrets: encrypted at rest, never shown', () => {
  const secrets = {
    inboundHmac: `gh-secret-${tag()}`,
    inboundSecondary: `gh-old-secret-${tag()}`,
    metaToken: `meta-verify-${tag()}`,
    zoomToken: `zoom-secret-${tag()}`,
    inboundRotated: `gh-rotated-${tag()}`,
    signing: 'whsec_' + randomBytes(24).toString('base64'),
    signingRotated: 'whsec_' + randomBytes(24).toString('base64'),
    bearer: `tok-${tag()}`,
    bearerRotated: `tok-rotated-${tag()}`,
    refused: `not-a-whsec-${tag()}`,
    stripeKey: `sk_test_${tag()}`,
    stripeWebhook: 'whsec_' + randomBytes(24).toString('base64'),
  };
  const apps: RunningApp[] = [];
  let sink: Sink;
  let adminUrl: string;
  let inboundUrl: string;
  const answers: string[] = [];

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${adminUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(text);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  beforeAll(async () => {
    sink = await startSink();
    const [adminPort, inboundPort, dispatcherPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    const env = {
      DATABASE_URL: db(),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: `${process.env.QUEUE_PREFIX}_secrets`,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'debug',
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    apps.push(
      spawnApp('admin', { ...env, ADMIN_PORT: String(adminPort) }),
      spawnApp('inbound-gateway', { ...env, INBOUND_PORT: String(inboundPort) }),
      spawnApp('outbound-dispatcher', { ...env, DISPATCHER_PORT: String(dispatcherPort) }),
    );
    for (const [app, port] of [
      [apps[0], adminPort],
      [apps[1], inboundPort],
      [apps[2], dispatcherPort],
    ] as const) {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
        { timeoutMs: 60_000, what: `ready on ${port}: ${app.output()}` },
      );
    }
    adminUrl = `http://127.0.0.1:${adminPort}`;
    inboundUrl = `http://127.0.0.1:${inboundPort}`;
  });

  afterAll(async () => {
    for (const app of apps) await stopApp(app);
    await sink?.close();
  });

  it('keeps every secret out of answers, logs, snapshots and the audit log', async () => {
    const suffix = tag();
    const handler = await api('POST', '/handlers', {
      code: `sec-${suffix}`,
      name: 'secrets',
      direction: 'inbound',
      executionMode: 'rules',
    });
    const inbound = await api('POST', '/inbound-endpoints', {
      name: 'secrets',
      path: `sec-${suffix}`,
      handler: handler.code,
      signature: {
        mode: 'hmac',
        preset: 'github',
        secret: secrets.inboundHmac,
        secondarySecret: secrets.inboundSecondary,
      },
      handshakes: {
        meta: { verifyToken: secrets.metaToken },
        zoom: { secretToken: secrets.zoomToken },
      },
    });
    const outbound = await api('POST', '/outbound-endpoints', {
      code: `sec-${suffix}`,
      name: 'secrets',
      state: 'active',
      targetHost: sink.url,
      targetPath: '/hooks',
      signing: { type: 'standard-webhooks', secret: secrets.signing },
      auth: { type: 'bearer', token: secrets.bearer },
    });

    // A refused secret is not echoed in the 400 (nor logged).
    const refused = await fetch(`${adminUrl}/api/v1/outbound-endpoints/${outbound.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ signing: { type: 'hmac', digest: 'md5', secret: secrets.refused } }),
    });
    expect(refused.status).toBe(400);
    answers.push(await refused.text());

    // The secrets work: a signed webhook is accepted, a forged one refused; Meta's
    // subscription check (the token in the query string) is answered.
    const body = JSON.stringify({ action: 'opened' });
    const signed = await fetch(`${inboundUrl}${inbound.url}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': await octokitSign(secrets.inboundHmac, body),
        'x-github-delivery': tag(),
      },
      body,
    });
    expect(signed.status).toBe(202);
    const event = (await signed.json()) as { id: string };
    const forged = await fetch(`${inboundUrl}${inbound.url}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': await octokitSign('wrong', body),
        'x-github-delivery': tag(),
      },
      body,
    });
    expect(forged.status).toBe(401);
    const challenge = await fetch(
      `${inboundUrl}${inbound.url}?hub.mode=subscribe&hub.verify_token=${secrets.metaToken}&hub.challenge=1234`,
    );
    expect(challenge.status).toBe(200);
    expect(await challenge.text()).toBe('1234');

    const delivery = await api('POST', '/deliveries', {
      endpoint: outbound.code,
      payload: { order: 1 },
    });
    await waitFor(async () => (sink.requests.length >= 1 ? true : undefined));
    expect(sink.requests[0].headers.authorization).toBe(`Bearer ${secrets.bearer}`);

    // Rotation through the API, then a test send with the new secrets.
    await api('PUT', `/outbound-endpoints/${outbound.id}`, {
      signing: { type: 'standard-webhooks', secret: secrets.signingRotated },
      auth: { type: 'bearer', token: secrets.bearerRotated },
    });
    await api('PUT', `/inbound-endpoints/${inbound.id}`, {
      signature: { mode: 'hmac', preset: 'github', secret: secrets.inboundRotated },
    });
    const testSend = await api('POST', `/outbound-endpoints/${outbound.id}/test`, {});
    await waitFor(async () => (sink.requests.length >= 2 ? true : undefined));
    expect(sink.requests[1].headers.authorization).toBe(`Bearer ${secrets.bearerRotated}`);
    for (const id of [delivery.id, testSend.id]) {
      await waitFor(async () => {
        const detail = await api('GET', `/deliveries/${id}`);
        return detail.state === 'done' && detail.attempts.length > 0 ? detail : undefined;
      });
    }

    // Connector credentials: sealed, used for the connector's auth header, never shown.
    const connector = await api('POST', '/connectors', {
      kind: 'stripe',
      code: `sec-stripe-${suffix}`,
      name: 'stripe',
      baseUrl: sink.url,
      credentials: { secretKey: secrets.stripeKey, webhookSecret: secrets.stripeWebhook },
    });
    await api('POST', `/connectors/${connector.id}/provision`, {});
    const viaConnector = await api('POST', '/deliveries', {
      connector: connector.code,
      suffix: 'customers',
      payload: { email: 'a@example.com' },
    });
    await waitFor(async () => (sink.requests.length >= 3 ? true : undefined));
    expect(sink.requests[2].headers.authorization).toBe(`Bearer ${secrets.stripeKey}`);
    await waitFor(async () => {
      const detail = await api('GET', `/deliveries/${viaConnector.id}`);
      return detail.state === 'done' && detail.attempts.length > 0 ? detail : undefined;
    });
    await api('GET', `/connectors/${connector.id}`);
    await api('GET', '/connectors');

    // Everything an operator can read back.
    await waitFor(async () =>
      (await api('GET', `/inbound-events/${event.id}`)).state === 'done' ? true : undefined,
    );
    for (const path of [
      '/handlers',
      '/inbound-endpoints',
      `/inbound-endpoints/${inbound.id}`,
      '/outbound-endpoints?limit=500',
      `/outbound-endpoints/${outbound.id}`,
      `/deliveries?endpoint=${outbound.code}`,
      `/inbound-events?endpoint=${inbound.id}`,
      '/audit?limit=500',
    ]) {
      await api('GET', path);
    }
    const inboundView = await api('GET', `/inbound-endpoints/${inbound.id}`);
    expect(inboundView.signature).toMatchObject({ secretSet: true, secondarySecretSet: true });
    expect(inboundView.handshakes).toMatchObject({
      meta: { verifyTokenSet: true },
      zoom: { secretTokenSet: true },
    });
    const outboundView = await api('GET', `/outbound-endpoints/${outbound.id}`);
    expect(outboundView.signing.secretSet).toBe(true);
    expect(outboundView.auth.secretSet).toBe(true);

    // Postgres holds ciphertext: every stored value is an envelope.
    const deliveryIds = [delivery.id, testSend.id, viaConnector.id];
    const [stored] = await query<{
      inbound: Record<string, string>;
      outbound: Record<string, string>;
    }>(
      db(),
      `SELECT (SELECT secrets FROM inbound_endpoints WHERE id = $1) AS inbound,
              (SELECT secrets FROM outbound_endpoints WHERE id = $2) AS outbound`,
      [inbound.id, outbound.id],
    );
    expect(Object.keys(stored.inbound).sort()).toEqual([
      'metaVerifyToken',
      'secondarySecret',
      'secret',
      'zoomSecretToken',
    ]);
    expect(Object.keys(stored.outbound).sort()).toEqual(['authSecret', 'signingSecret']);
    for (const value of [...Object.values(stored.inbound), ...Object.values(stored.outbound)]) {
      expect(value).toMatch(/^v1:[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    }
    const rows = await query<{ text: string }>(
      db(),
      `SELECT row_to_json(e)::text AS text FROM inbound_endpoints e WHERE id = $1
       UNION ALL SELECT row_to_json(o)::text FROM outbound_endpoints o WHERE id = $2
       UNION ALL SELECT row_to_json(a)::text FROM delivery_attempts a WHERE delivery_id = ANY($3)
       UNION ALL SELECT row_to_json(d)::text FROM deliveries d WHERE id = ANY($3)
       UNION ALL SELECT row_to_json(au)::text FROM audit_entries au WHERE entity_id = ANY($4)
       UNION ALL SELECT row_to_json(ev)::text FROM inbound_events ev WHERE endpoint_id = $1
       UNION ALL SELECT row_to_json(c)::text FROM connectors c WHERE id = $5
       UNION ALL SELECT row_to_json(ie)::text FROM inbound_endpoints ie WHERE connector_id = $5
       UNION ALL SELECT row_to_json(oe)::text FROM outbound_endpoints oe WHERE connector_id = $5
       UNION ALL SELECT row_to_json(au)::text FROM audit_entries au WHERE entity_type = 'connector' AND entity_id = $5::text`,
      [inbound.id, outbound.id, deliveryIds, [inbound.id, outbound.id], connector.id],
    );
    const [sealed] = await query<{ credentials: string }>(
      db(),
      `SELECT credentials FROM connectors WHERE id = $1`,
      [connector.id],
    );
    expect(sealed.credentials).toMatch(/^v1:[A-Za-z0-9_-]+:/);
    const attempts = await query<{ request: { headers: Record<string, string> } }>(
      db(),
      `SELECT request FROM delivery_attempts WHERE delivery_id = ANY($1)`,
      [deliveryIds],
    );
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) {
      expect(attempt.request.headers.Authorization ?? attempt.request.headers.authorization).toBe(
        '[redacted]',
      );
    }
    const auditRows = rows.filter((row) => row.text.includes('"actor"'));
    expect(auditRows.length).toBeGreaterThanOrEqual(5);

    for (const app of apps) await stopApp(app);
    const logs = apps.map((app) => app.output()).join('\n');
    // The capture is real: request logs from the admin API and the gateway are in it.
    expect(logs).toContain('"app":"admin"');
    expect(logs).toContain('"app":"inbound-gateway"');
    expect(logs).toContain(`/api/v1/inbound-endpoints/${inbound.id}`);

    const places = {
      'API answers': answers.join('\n'),
      'Postgres rows (endpoints, attempts, deliveries, audit, events)': rows
        .map((row) => row.text)
        .join('\n'),
      'log lines': logs,
    };
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(places)) {
      for (const [name, value] of Object.entries(secrets)) {
        if (text.includes(value)) leaks.push(`${name} in ${where}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
