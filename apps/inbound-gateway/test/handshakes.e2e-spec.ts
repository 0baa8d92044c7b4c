import { createHmac } from 'node:crypto';
import { startHarness, type Harness } from '../../../test/support/harness';
import { createHandler, createInboundEndpoint, post } from '../../../test/support/fixtures';
import { query } from '../../../test/support/database';
import { isValidSlackRequest } from '@slack/bolt';

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
/** Slack's own verifier (@slack/bolt) on the same request: does Slack call it genuine? */
const slackAccepts = (secret: string, body: string, headers: Record<string, string>) =>
  isValidSlackRequest({
    signingSecret: secret,
    body,
    headers: {
      'x-slack-signature': headers['x-slack-signature'] ?? '',
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    },
  });

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
    let path: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'slack', secret },
        handshakes: { slack: true },
      });
      url = endpoint.url;
      path = endpoint.path;
    });

    it('refuses a challenge signed with another secret, over another body, or too long ago', async () => {
      const challenge = 'slack-challenge-refused-0123456789abcdef';
      const body = JSON.stringify({ token: 'x', challenge, type: 'url_verification' });
      const ts = nowSeconds();
      const stale = String(Math.floor(Date.now() / 1000) - 6 * 60);
      const attempts: Array<[string, Record<string, string>, number]> = [
        [
          'another secret',
          { 'x-slack-request-timestamp': ts, 'x-slack-signature': v0Sign('not-it', ts, body) },
          401,
        ],
        [
          'another body',
          {
            'x-slack-request-timestamp': ts,
            'x-slack-signature': v0Sign(secret, ts, body.replace('x', 'y')),
          },
          401,
        ],
        [
          'six minutes old',
          { 'x-slack-request-timestamp': stale, 'x-slack-signature': v0Sign(secret, stale, body) },
          400,
        ],
      ];
      for (const [what, headers, status] of attempts) {
        // Bolt agrees: none of these is a request from Slack.
        expect({ what, slack: slackAccepts(secret, body, headers) }).toEqual({
          what,
          slack: false,
        });
        const res = await post(harness, url, body, headers);
        expect({ what, status: res.status }).toEqual({ what, status });
        expect(JSON.stringify(res.body)).not.toContain(challenge);
      }
      expect(await storedStates(path)).toEqual(['rejected', 'rejected', 'rejected']);
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
      expect(
        slackAccepts(secret, body, {
          'x-slack-request-timestamp': ts,
          'x-slack-signature': v0Sign(secret, ts, body),
        }),
      ).toBe(true);
      // The refused unsigned one is stored as rejected; the answered handshake is not stored.
      expect((await storedStates(path)).filter((state) => state !== 'rejected')).toEqual([]);
    });
  });

  describe('Meta hub.challenge', () => {
    const verifyToken = 'meta-verify-token-0123456789';
    let url: string;
    let path: string;

    beforeAll(async () => {
      const endpoint = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'hmac', preset: 'github', secret: 'meta-app-secret-0123456789' },
        handshakes: { meta: { verifyToken } },
      });
      url = endpoint.url;
      path = endpoint.path;
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
      // Only the refused POST is stored; the GETs were answered, not stored.
      expect(await storedStates(path)).toEqual(['rejected']);
    });

    it('answers no challenge where the endpoint does not enable the handshake', async () => {
      const plain = await createInboundEndpoint(harness, {
        handler: handlerCode,
        signature: { mode: 'none' },
      });
      const res = await fetch(
        `${harness.inboundUrl}${plain.url}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=4242`,
      );
      // An ordinary (unsigned, bodiless) webhook there: accepted as an event, not answered.
      expect(res.status).toBe(202);
      expect(await res.text()).not.toContain('4242');
      // A Slack-shaped challenge there is an event like any other: stored, not echoed.
      const slackShaped = await post(
        harness,
        plain.url,
        JSON.stringify({ type: 'url_verification', challenge: 'not-echoed-0123' }),
      );
      expect(slackShaped.status).toBe(202);
      expect(JSON.stringify(slackShaped.body)).not.toContain('not-echoed-0123');
      expect(await storedStates(plain.path)).toHaveLength(2);
    });
  });
});
