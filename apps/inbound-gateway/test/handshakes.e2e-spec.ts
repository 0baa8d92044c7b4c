import { createHmac } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';

/**
 * URL-verification handshakes against the real gateway (issue 21, item 12). Zoom's answer
 * is an HMAC under the app's secret token, the key Zoom also signs its events with: the
 * gateway must give it only to a request Zoom signed, even on an endpoint that verifies no
 * signatures, or anyone could have arbitrary text signed. Slack's and Meta's answers echo
 * a challenge and must not skip the checks their providers do make.
 */
/** Zoom's and Slack's scheme alike: `v0=` hex HMAC of `v0:<timestamp>:<body>`. */
const v0Sign = (secret: string, timestamp: string, body: string) =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
const hmacHex = (secret: string, text: string) =>
  createHmac('sha256', secret).update(text).digest('hex');
const nowSeconds = () => String(Math.floor(Date.now() / 1000));

describe('handshakes: no answer the provider did not ask for', () => {
  let harness: Harness;
  let handlerCode: string;

  beforeAll(async () => {
    harness = await startHarness();
    handlerCode = (await createHandler(harness, {})).code;
  });

  afterAll(async () => {
    await harness?.close();
  });

  async function storedStates(path: string): Promise<string[]> {
    const rows = await query<{ state: string }>(
      process.env.DATABASE_URL!,
      `SELECT state FROM inbound_events WHERE endpoint_path = $1 ORDER BY received_at`,
      [path],
    );
    return rows.map((r) => r.state);
  }

  describe('Zoom endpoint.url_validation on an endpoint that verifies no signatures', () => {
    const secretToken = 'zoom-secret-token-0123456789';
    let url: string;
    let path: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'none' },
        handshakes: { zoom: { secretToken } },
      });
      url = endpoint.url;
      path = endpoint.path;
    });

    it('refuses an unsigned or badly signed validation and signs nothing', async () => {
      // What an attacker would ask for: Zoom's signature of a forged event.
      const ts = nowSeconds();
      const forged = JSON.stringify({ event: 'meeting.deleted', payload: { id: 1 } });
      const plainToken = `v0:${ts}:${forged}`;
      const body = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken } });
      const oracleAnswer = hmacHex(secretToken, plainToken);

      const attempts: Array<[string, Record<string, string>]> = [
        ['unsigned', {}],
        ['timestamp only', { 'x-zm-request-timestamp': ts }],
        [
          'signed with another secret',
          { 'x-zm-request-timestamp': ts, 'x-zm-signature': v0Sign('not-the-secret', ts, body) },
        ],
        [
          'signature of another body',
          { 'x-zm-request-timestamp': ts, 'x-zm-signature': v0Sign(secretToken, ts, forged) },
        ],
        ['garbage signature', { 'x-zm-request-timestamp': ts, 'x-zm-signature': 'v0=abc' }],
      ];
      for (const [what, headers] of attempts) {
        const res = await post(harness, url, body, headers);
        expect({ what, status: res.status }).toEqual({ what, status: 401 });
        const text = JSON.stringify(res.body);
        expect(text).not.toContain('encryptedToken');
        expect(text).not.toContain(oracleAnswer);
      }
      // A correct signature made too long ago is refused as well (a replayed validation).
      const stale = String(Math.floor(Date.now() / 1000) - 3600);
      const replayed = await post(harness, url, body, {
        'x-zm-request-timestamp': stale,
        'x-zm-signature': v0Sign(secretToken, stale, body),
      });
      expect(replayed.status).toBe(400);
      expect(JSON.stringify(replayed.body)).not.toContain(oracleAnswer);
      expect((await storedStates(path)).every((state) => state === 'rejected')).toBe(true);
    });

    it('answers a validation Zoom signed with the right encryptedToken, and stores nothing', async () => {
      const plainToken = 'qgg8vlvZRS6UYooatFL8Aw';
      const body = JSON.stringify({
        payload: { plainToken },
        event_ts: Date.now(),
        event: 'endpoint.url_validation',
      });
      const ts = nowSeconds();
      const before = (await storedStates(path)).length;
      const res = await post(harness, url, body, {
        'x-zm-request-timestamp': ts,
        'x-zm-signature': v0Sign(secretToken, ts, body),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ plainToken, encryptedToken: hmacHex(secretToken, plainToken) });
      expect(await storedStates(path)).toHaveLength(before);
    });
  });

  describe('Slack url_verification on a Slack-signed endpoint', () => {
    const secret = 'slack-signing-secret-0123456789';
    let url: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'slack', secret },
        handshakes: { slack: true },
      });
      url = endpoint.url;
    });

    it('echoes the challenge only after the signature verifies', async () => {
      const challenge = 'slack-challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';
      const body = JSON.stringify({ token: 'x', challenge, type: 'url_verification' });
      const ts = nowSeconds();
      const unsigned = await post(harness, url, body, { 'x-slack-request-timestamp': ts });
      expect(unsigned.status).toBe(401);
      expect(JSON.stringify(unsigned.body)).not.toContain(challenge);
      const signed = await post(harness, url, body, {
        'x-slack-request-timestamp': ts,
        'x-slack-signature': v0Sign(secret, ts, body),
      });
      expect(signed.status).toBe(200);
      expect(signed.body).toEqual({ challenge });
    });
  });

  describe('Meta hub.challenge', () => {
    const verifyToken = 'meta-verify-token-0123456789';
    let url: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'github', secret: 'meta-app-secret-0123456789' },
        handshakes: { meta: { verifyToken } },
      });
      url = endpoint.url;
    });

    it('echoes the challenge only for the verify token, and never lets a POST skip the signature', async () => {
      const get = (token: string) =>
        fetch(
          `${harness.inboundUrl}${url}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=4242`,
        );
      const wrong = await get('not-the-token');
      expect(wrong.status).toBe(403);
      expect(await wrong.text()).not.toContain('4242');
      const right = await get(verifyToken);
      expect(right.status).toBe(200);
      expect(await right.text()).toBe('4242');
      // The subscription query on an unsigned POST is an event like any other: verified.
      const posted = await post(
        harness,
        `${url}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=4242`,
        '{"object":"page"}',
      );
      expect(posted.status).toBe(401);
      expect(JSON.stringify(posted.body)).not.toContain('4242');
    });
  });
});
