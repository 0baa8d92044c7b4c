import Stripe from 'stripe';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post, unique } from '../../../test/support/fixtures';
import { octokitSign } from '../../../test/support/oracles';
import { query } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * The receiving contract (SPEC §4) against the real gateway, Postgres and Redis, with
 * requests signed by the providers' official SDKs.
 */
describe('inbound receiving: verification, freshness, identity, limits', () => {
  let harness: Harness;
  let handlerCode: string;
  const stripe = new Stripe('sk_test_hookgate');

  beforeAll(async () => {
    harness = await startHarness();
    handlerCode = (await createHandler(harness, {})).code;
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function rejectedRows(
    path: string,
  ): Promise<Array<{ id: string; reject_reason: string; reject_code: string | null }>> {
    return query(
      process.env.DATABASE_URL!,
      `SELECT id, reject_reason, reject_code FROM inbound_events
        WHERE endpoint_path = $1 AND state = 'rejected' ORDER BY received_at`,
      [path],
    );
  }

  describe('github preset (oracle: @octokit/webhooks-methods)', () => {
    const secret = 'gh-secret-0123456789';
    let url: string;
    let path: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'github', secret },
      });
      url = endpoint.url;
      path = endpoint.path;
    });

    it('accepts a request signed by the SDK and rejects tampering, wrong secrets and missing signatures', async () => {
      const body = JSON.stringify({ action: 'opened', issue: { number: 1 } });
      const signature = await octokitSign(secret, body);
      const ok = await post(harness, url, body, {
        'x-hub-signature-256': signature,
        'x-github-delivery': unique('d'),
      });
      expect(ok.status).toBe(202);
      expect(ok.body.state).toBe('received');

      const tampered = body.replace('opened', 'opened ');
      const bad = await post(harness, url, tampered, {
        'x-hub-signature-256': signature,
        'x-github-delivery': unique('d'),
      });
      expect(bad.status).toBe(401);
      expect(bad.body.error).toBe('signature_invalid');

      const wrong = await post(harness, url, body, {
        'x-hub-signature-256': await octokitSign('not-the-secret', body),
        'x-github-delivery': unique('d'),
      });
      expect(wrong.status).toBe(401);

      const missing = await post(harness, url, body, { 'x-github-delivery': unique('d') });
      expect(missing.status).toBe(401);

      const rejected = await rejectedRows(path);
      expect(rejected).toHaveLength(3);
      for (const row of rejected) {
        expect(row.reject_reason.length).toBeGreaterThan(5);
        // The error's code is stored as answered, not left to be read from the reason.
        expect(row.reject_code).toBe('signature_invalid');
      }
      const view = await harness.admin(`/inbound-events/${rejected[0].id}`);
      expect(view.body).toMatchObject({
        state: 'rejected',
        rejectReason: rejected[0].reject_reason,
        rejectCode: 'signature_invalid',
      });
      const list = await harness.admin(`/inbound-events?endpoint=${path}&state=rejected`);
      expect(list.body.items.map((e: { rejectCode: string }) => e.rejectCode)).toEqual(
        Array(3).fill('signature_invalid'),
      );
    });

    it('answers a repeated delivery id as a duplicate of the original', async () => {
      const body = JSON.stringify({ action: 'closed', issue: { number: 2 } });
      const headers = {
        'x-hub-signature-256': await octokitSign(secret, body),
        'x-github-delivery': unique('dup'),
      };
      const first = await post(harness, url, body, headers);
      const second = await post(harness, url, body, headers);
      expect(first.status).toBe(202);
      expect(second).toEqual({ status: 200, body: { id: first.body.id, duplicate: true } });
    });

    it('turns 100 concurrent copies of one delivery into exactly one event', async () => {
      const body = JSON.stringify({ action: 'storm', issue: { number: 3 } });
      const headers = {
        'x-hub-signature-256': await octokitSign(secret, body),
        'x-github-delivery': unique('storm'),
      };
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => post(harness, url, body, headers)),
      );
      const accepted = answers.filter((a) => a.status === 202);
      const duplicates = answers.filter((a) => a.status === 200 && a.body.duplicate === true);
      expect(accepted).toHaveLength(1);
      expect(duplicates).toHaveLength(99);
      const id = accepted[0].body.id;
      expect(new Set(duplicates.map((d) => d.body.id))).toEqual(new Set([id]));
      const event = await waitFor(async () => {
        const found = await harness.admin(`/inbound-events/${id}`);
        return found.body.state === 'done' ? found.body : undefined;
      });
      expect(event.duplicateCount).toBe(99);
      expect(event.attempts).toBe(1);
      const rows = await query(
        process.env.DATABASE_URL!,
        `SELECT id FROM inbound_events WHERE delivery_identity = $1`,
        [headers['x-github-delivery']],
      );
      expect(rows).toHaveLength(1);
    });
  });

  describe('stripe preset (oracle: stripe.webhooks.generateTestHeaderString)', () => {
    const secret = 'whsec_stripe_test_secret_0123456789';
    let url: string;
    let path: string;

    beforeAll(async () => {
      ({ url, path } = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'stripe', secret },
      }));
    });

    const sign = (payload: string, timestamp?: number) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

    it('accepts a signed event and treats the same event id as a replay', async () => {
      const eventId = unique('evt');
      const body = JSON.stringify({
        id: eventId,
        type: 'customer.created',
        data: { object: { id: 'cus_1' } },
      });
      const first = await post(harness, url, body, { 'stripe-signature': sign(body) });
      expect(first.status).toBe(202);
      // A new delivery (different bytes, fresh signature) of the same Stripe event id.
      const again = JSON.stringify({
        id: eventId,
        type: 'customer.created',
        data: { object: { id: 'cus_1' } },
        retry: 1,
      });
      const second = await post(harness, url, again, { 'stripe-signature': sign(again) });
      expect(second.status).toBe(200);
      expect(second.body).toEqual({ id: first.body.id, duplicate: true });
    });

    it('rejects stale and future timestamps with 400', async () => {
      const body = JSON.stringify({ id: unique('evt'), type: 'x' });
      const now = Math.floor(Date.now() / 1000);
      const stale = await post(harness, url, body, { 'stripe-signature': sign(body, now - 3600) });
      expect(stale.status).toBe(400);
      expect(stale.body.error).toBe('timestamp_invalid');
      const future = await post(harness, url, body, { 'stripe-signature': sign(body, now + 3600) });
      expect(future.status).toBe(400);
      expect((await rejectedRows(path)).map((row) => row.reject_code)).toEqual([
        'timestamp_invalid',
        'timestamp_invalid',
      ]);
    });
  });

  describe('standard-webhooks preset (oracles: standardwebhooks and svix)', () => {
    const primary = 'whsec_' + Buffer.from('primary-secret-0123456789abcdef').toString('base64');
    const secondary = 'whsec_' + Buffer.from('secondary-secret-0123456789abcd').toString('base64');
    let url: string;

    beforeAll(async () => {
      url = (
        await createInboundEndpoint(harness, {
          handler: handlerCode,
          signature: {
            mode: 'hmac',
            preset: 'standard-webhooks',
            secret: primary,
            secondarySecret: secondary,
          },
        })
      ).url;
    });

    function headersFrom(
      sdk: { sign(id: string, at: Date, payload: string): string },
      payload: string,
    ) {
      const id = unique('msg');
      const at = new Date();
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': sdk.sign(id, at, payload),
      };
    }

    it('accepts both the primary and the secondary secret while rotating', async () => {
      const payload = JSON.stringify({ type: 'invoice.paid' });
      const withPrimary = await post(
        harness,
        url,
        payload,
        headersFrom(new StandardWebhook(primary), payload),
      );
      expect(withPrimary.status).toBe(202);
      const withSecondary = await post(
        harness,
        url,
        payload,
        headersFrom(new StandardWebhook(secondary), payload),
      );
      expect(withSecondary.status).toBe(202);
      const viaSvix = await post(
        harness,
        url,
        payload,
        headersFrom(new SvixWebhook(primary), payload),
      );
      expect(viaSvix.status).toBe(202);
      const other = 'whsec_' + Buffer.from('some-other-secret-0123456789abc').toString('base64');
      const wrong = await post(
        harness,
        url,
        payload,
        headersFrom(new StandardWebhook(other), payload),
      );
      expect(wrong.status).toBe(401);
    });
  });

  describe('limits and bad input', () => {
    let url: string;

    beforeAll(async () => {
      url = (
        await createInboundEndpoint(harness, {
          handler: handlerCode,
          maxBodyBytes: 1024,
          signature: { mode: 'none' },
        })
      ).url;
    });

    it('answers 404 for unknown paths, 413 for oversized bodies and 400 for invalid JSON', async () => {
      expect((await post(harness, '/webhooks/does-not-exist', '{}')).status).toBe(404);
      expect((await post(harness, '/webhooks/UPPER', '{}')).status).toBe(404);
      const big = await post(harness, url, Buffer.alloc(2048, 'a'), {
        'content-type': 'application/octet-stream',
      });
      expect(big.status).toBe(413);
      const broken = await post(harness, url, '{"not json', { 'content-type': 'application/json' });
      expect(broken.status).toBe(400);
      expect(broken.body.error).toBe('payload_invalid');
      const ok = await post(harness, url, 'a=1&b=2&b=3', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(ok.status).toBe(202);
      const event = await harness.admin(`/inbound-events/${ok.body.id}`);
      expect(event.body.payload).toEqual({ a: '1', b: ['2', '3'] });
    });

    it('answers 400 payload_invalid, not 503, to JSON nested too deep to store', async () => {
      // Found by the chaos fuzzer: JSON.parse takes it, JSON.stringify and jsonb do not.
      const deep = '['.repeat(500) + ']'.repeat(500);
      const res = await post(harness, url, deep, { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('payload_invalid');
      const ok = await post(harness, url, '['.repeat(100) + ']'.repeat(100), {
        'content-type': 'application/json',
      });
      expect(ok.status).toBe(202);
    });

    it('answers 400, not 503, to invalid JSON holding a NUL byte (the reason is stored)', async () => {
      // Found by the chaos fuzzer: the parser's message quoted the NUL into a text column.
      const res = await post(harness, url, Buffer.from([75, 69, 0, 95, 35, 126, 163, 42]), {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('payload_invalid');
    });

    it('stores JSON that spells characters jsonb cannot hold, raw body byte-exact', async () => {
      const text = '{"a":"x\\u0000y","b":"\\ud800"}';
      const res = await post(harness, `${url}?q=%00`, text, { 'content-type': 'application/json' });
      expect(res.status).toBe(202);
      const event = await harness.admin(`/inbound-events/${res.body.id}`);
      expect(event.body.payload).toEqual({ a: 'x\ufffdy', b: '\ufffd' });
      expect(event.body.query).toEqual({ q: '\ufffd' });
      expect(Buffer.from(event.body.rawBody.base64, 'base64').toString('utf8')).toBe(text);
    });

    it('stores JSON numbers as sent, except those a double cannot hold', async () => {
      // The body text goes to jsonb verbatim: exact digits, same value when read back.
      const sent = '{"big": 12345678901234567890, "price": 12.50}';
      const exact = await post(harness, url, sent, { 'content-type': 'application/json' });
      expect(exact.status).toBe(202);
      // An exponent takes the serialised path: 1e400 is Infinity to JSON.parse, so null,
      // not a 401-digit number.
      const huge = await post(harness, url, '{"n": 1e400, "m": 2.5e3}', {
        'content-type': 'application/json',
      });
      expect(huge.status).toBe(202);
      const rows = await query<{ id: string; payload: string }>(
        process.env.DATABASE_URL!,
        `SELECT id, payload::text AS payload FROM inbound_events WHERE id = ANY($1::uuid[])`,
        [[exact.body.id, huge.body.id]],
      );
      const stored = Object.fromEntries(rows.map((row) => [row.id, row.payload]));
      expect(stored[exact.body.id]).toBe(sent);
      expect(stored[huge.body.id]).toBe('{"m": 2500, "n": null}');
      const event = await harness.admin(`/inbound-events/${exact.body.id}`);
      expect(event.body.payload).toEqual(JSON.parse(sent));
    });

    it('accepts an empty body', async () => {
      const empty = await post(harness, url, '', { 'content-type': 'text/plain' });
      expect(empty.status).toBe(202);
      const event = await harness.admin(`/inbound-events/${empty.body.id}`);
      expect(event.body.rawBody.bytes).toBe(0);
    });
  });
});
