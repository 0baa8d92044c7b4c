// The harness first: it loads the apps in the order their decorators expect.
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHmac } from 'node:crypto';
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { getHmac as shopifyHmac } from '@shopify/shopify-api/test-helpers';
import { isValidSlackRequest } from '@slack/bolt';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * The Shopify and Slack presets end to end through the real gateway and worker (issue 26),
 * each against its provider's own library as the oracle: every request the test sends is
 * also put to `@shopify/shopify-api`'s `webhooks.validate` or `@slack/bolt`'s
 * `isValidSlackRequest`, and the gateway must accept exactly what the library accepts.
 * Shopify's signature is made by its own test helper; Slack ships no signer, so the test
 * signs as Slack documents it ("Verifying requests from Slack"): `v0=` + hex
 * HMAC-SHA256, under the signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`.
 */
jest.setTimeout(60_000);
const db = () => process.env.DATABASE_URL!;

interface Case {
  what: string;
  body: string;
  headers: Record<string, string>;
  contentType?: string;
}

describe('provider presets against the providers’ own libraries', () => {
  let harness: Harness;
  let handlerCode: string;

  beforeAll(async () => {
    harness = await startHarness();
    handlerCode = (await createHandler(harness, {})).code;
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function send(url: string, c: Case) {
    return post(harness, url, c.body, {
      ...c.headers,
      'content-type': c.contentType ?? 'application/json',
    });
  }

  async function processed(id: string) {
    return waitFor(
      async () => {
        const [row] = await query<{
          state: string;
          raw_body: Buffer;
          payload: unknown;
          delivery_identity: string | null;
        }>(
          db(),
          `SELECT state, raw_body, payload, delivery_identity FROM inbound_events WHERE id = $1`,
          [id],
        );
        return row && ['done', 'error', 'dead_letter'].includes(row.state) ? row : undefined;
      },
      { what: `event ${id} to be processed` },
    );
  }

  describe('shopify (oracle: @shopify/shopify-api webhooks.validate)', () => {
    const secret = 'shpss_hookgate_test_0123456789abcdef';
    const shopify = shopifyApi({
      apiKey: 'hookgate-test',
      apiSecretKey: secret,
      scopes: [],
      hostName: 'hookgate.test',
      apiVersion: ApiVersion.October25,
      isEmbeddedApp: false,
      logger: { level: LogSeverity.Error, log: async () => undefined },
    });
    let url: string;
    let path: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'shopify', secret },
      });
      url = endpoint.url;
      path = endpoint.path;
    });

    /** The headers Shopify sends with an `orders/create` webhook. */
    function shopifyHeaders(hmac: string | null, webhookId = unique('wh')): Record<string, string> {
      return {
        ...(hmac === null ? {} : { 'x-shopify-hmac-sha256': hmac }),
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'hookgate-test.myshopify.com',
        'x-shopify-api-version': '2025-10',
        'x-shopify-webhook-id': webhookId,
        'x-shopify-event-id': unique('ev'),
        'x-shopify-triggered-at': new Date().toISOString(),
      };
    }

    async function oracle(c: Case): Promise<boolean> {
      const result = await shopify.webhooks.validate({
        rawBody: c.body,
        rawRequest: { method: 'POST', url: `/webhooks/${path}`, headers: c.headers },
        rawResponse: {},
      });
      return result.valid;
    }

    it('accepts exactly the requests shopify-api accepts, and processes them', async () => {
      const body = JSON.stringify({
        id: 820982911946154500,
        email: 'jon@example.com',
        total_price: '9.50',
      });
      const unicode = JSON.stringify({ id: 1, note: 'Grüße — 注文 ✓' });
      const cases: Array<Case & { valid: boolean }> = [
        { what: 'genuine', body, headers: shopifyHeaders(shopifyHmac(body, secret)), valid: true },
        {
          what: 'genuine, non-ASCII body',
          body: unicode,
          headers: shopifyHeaders(shopifyHmac(unicode, secret)),
          valid: true,
        },
        {
          what: 'tampered body',
          body: body.replace('9.50', '0.50'),
          headers: shopifyHeaders(shopifyHmac(body, secret)),
          valid: false,
        },
        {
          what: 'another secret',
          body,
          headers: shopifyHeaders(shopifyHmac(body, 'shpss_not_the_secret')),
          valid: false,
        },
        {
          what: 'hex instead of base64',
          body,
          headers: shopifyHeaders(createHmac('sha256', secret).update(body).digest('hex')),
          valid: false,
        },
        { what: 'no signature', body, headers: shopifyHeaders(null), valid: false },
        {
          what: 'signature of the body with a trailing newline',
          body,
          headers: shopifyHeaders(shopifyHmac(`${body}\n`, secret)),
          valid: false,
        },
      ];
      const accepted: Array<{ id: string; body: string }> = [];
      for (const c of cases) {
        const expected = await oracle(c);
        expect({ what: c.what, oracle: expected }).toEqual({ what: c.what, oracle: c.valid });
        const res = await send(url, c);
        expect({ what: c.what, status: res.status }).toEqual({
          what: c.what,
          status: expected ? 202 : 401,
        });
        if (expected) accepted.push({ id: res.body.id, body: c.body });
        else expect(res.body).toMatchObject({ error: 'signature_invalid' });
      }
      for (const { id, body: sent } of accepted) {
        const row = await processed(id);
        expect(row.state).toBe('done');
        expect(row.raw_body.toString('utf8')).toBe(sent);
        expect(row.payload).toEqual(JSON.parse(sent));
      }
      const states = await query<{ state: string }>(
        db(),
        `SELECT state FROM inbound_events WHERE endpoint_path = $1`,
        [path],
      );
      expect(states.filter((s) => s.state === 'rejected')).toHaveLength(5);
      expect(states.filter((s) => s.state === 'done')).toHaveLength(2);
    });

    it('takes a resent webhook id as a duplicate, and a new id as a new event', async () => {
      const body = JSON.stringify({ id: 42, email: 'dup@example.com' });
      const webhookId = unique('wh');
      const first: Case = {
        what: 'first',
        body,
        headers: shopifyHeaders(shopifyHmac(body, secret), webhookId),
      };
      const resent: Case = {
        what: 'resent',
        body,
        headers: shopifyHeaders(shopifyHmac(body, secret), webhookId),
      };
      const fresh: Case = {
        what: 'new id',
        body,
        headers: shopifyHeaders(shopifyHmac(body, secret)),
      };
      for (const c of [first, resent, fresh]) expect(await oracle(c)).toBe(true);
      const a = await send(url, first);
      const b = await send(url, resent);
      const c = await send(url, fresh);
      expect(a.status).toBe(202);
      expect(b).toEqual({ status: 200, body: { id: a.body.id, duplicate: true } });
      expect(c.status).toBe(202);
      expect(c.body.id).not.toBe(a.body.id);
      expect((await processed(a.body.id)).delivery_identity).toContain(webhookId);
    });
  });

  describe('slack (oracle: @slack/bolt isValidSlackRequest)', () => {
    const secret = 'slack-signing-secret-8f742231b10e8888abcd99yyyzzz85a5';
    let url: string;
    let path: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'slack', secret },
      });
      url = endpoint.url;
      path = endpoint.path;
    });

    /** Signed as Slack signs: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`. */
    function slackSign(signingSecret: string, timestamp: number, body: string): string {
      return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    }
    const now = () => Math.floor(Date.now() / 1000);
    function slackHeaders(signature: string | null, timestamp: number): Record<string, string> {
      return {
        'x-slack-request-timestamp': String(timestamp),
        ...(signature === null ? {} : { 'x-slack-signature': signature }),
      };
    }

    function oracle(c: Case): boolean {
      return isValidSlackRequest({
        signingSecret: secret,
        body: c.body,
        headers: {
          'x-slack-signature': c.headers['x-slack-signature'] ?? '',
          'x-slack-request-timestamp': Number(c.headers['x-slack-request-timestamp']),
        },
      });
    }

    it('accepts exactly the requests bolt accepts, JSON and form bodies, and processes them', async () => {
      const ts = now();
      const event = JSON.stringify({
        token: 'x',
        team_id: 'T061EG9R6',
        type: 'event_callback',
        event: { type: 'app_mention', text: '<@U0LAN0Z89> is it everything a river should be?' },
        event_id: unique('Ev'),
      });
      // Slash commands and interactivity arrive form-encoded.
      const form =
        'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&command=%2Fweather&text=94070&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234';
      const old = ts - 6 * 60;
      const cases: Array<Case & { valid: boolean; status: number }> = [
        {
          what: 'genuine event',
          body: event,
          headers: slackHeaders(slackSign(secret, ts, event), ts),
          valid: true,
          status: 202,
        },
        {
          what: 'genuine slash command (form)',
          body: form,
          contentType: 'application/x-www-form-urlencoded',
          headers: slackHeaders(slackSign(secret, ts, form), ts),
          valid: true,
          status: 202,
        },
        {
          what: 'tampered body',
          body: event.replace('river', 'lake'),
          headers: slackHeaders(slackSign(secret, ts, event), ts),
          valid: false,
          status: 401,
        },
        {
          what: 'another secret',
          body: event,
          headers: slackHeaders(slackSign('not-the-signing-secret', ts, event), ts),
          valid: false,
          status: 401,
        },
        {
          what: 'signed for another timestamp',
          body: event,
          headers: slackHeaders(slackSign(secret, ts - 1, event), ts),
          valid: false,
          status: 401,
        },
        {
          what: 'no v0= prefix',
          body: event,
          headers: slackHeaders(slackSign(secret, ts, event).slice(3), ts),
          valid: false,
          status: 401,
        },
        {
          what: 'no signature',
          body: event,
          headers: slackHeaders(null, ts),
          valid: false,
          status: 401,
        },
        {
          // Signed correctly but six minutes old: refused as stale, not as forged.
          what: 'stale',
          body: event,
          headers: slackHeaders(slackSign(secret, old, event), old),
          valid: false,
          status: 400,
        },
      ];
      const accepted: Array<{ id: string; body: string }> = [];
      for (const c of cases) {
        const expected = oracle(c);
        expect({ what: c.what, oracle: expected }).toEqual({ what: c.what, oracle: c.valid });
        const res = await send(url, c);
        expect({ what: c.what, status: res.status }).toEqual({ what: c.what, status: c.status });
        expect(res.status === 202).toBe(expected);
        if (expected) accepted.push({ id: res.body.id, body: c.body });
      }
      const [jsonEvent, slashCommand] = await Promise.all(accepted.map(({ id }) => processed(id)));
      expect(jsonEvent.state).toBe('done');
      expect(jsonEvent.raw_body.toString()).toBe(event);
      expect(slashCommand.state).toBe('done');
      expect(slashCommand.raw_body.toString()).toBe(form);
      expect(slashCommand.payload).toMatchObject({ command: '/weather', text: '94070' });
      const rejected = await query<{ reject_reason: string }>(
        db(),
        `SELECT reject_reason FROM inbound_events WHERE endpoint_path = $1 AND state = 'rejected'`,
        [path],
      );
      expect(rejected).toHaveLength(6);
    });

    it('recognises a Slack retry of the same body as a duplicate', async () => {
      const body = JSON.stringify({ type: 'event_callback', event_id: unique('Ev') });
      const ts = now();
      const first = await send(url, {
        what: 'first',
        body,
        headers: slackHeaders(slackSign(secret, ts, body), ts),
      });
      // Slack retries with a new timestamp and signature, the same body, and a retry count.
      const retried: Case = {
        what: 'retry',
        body,
        headers: {
          ...slackHeaders(slackSign(secret, ts + 1, body), ts + 1),
          'x-slack-retry-num': '1',
          'x-slack-retry-reason': 'http_timeout',
        },
      };
      expect(oracle(retried)).toBe(true);
      const second = await send(url, retried);
      expect(first.status).toBe(202);
      expect(second).toEqual({ status: 200, body: { id: first.body.id, duplicate: true } });
    });
  });
});
