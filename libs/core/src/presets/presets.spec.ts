/**
 * Each preset proven against its provider's own signing code: requests made by the official
 * SDK must verify, and tampered ones must not. Where no SDK is installed (Slack, Shopify)
 * the provider's documented algorithm or published vector is the oracle, named as such.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { FreshnessValidationError, SignatureValidationError } from '../errors/errors';
import type { HeaderBag } from '../extraction/value-source.types';
import { checkFreshness } from '../freshness/check-freshness';
import { computeIdentities } from '../identity/compute-identities';
import type { RequestIdentities } from '../identity/identity.types';
import { signOutbound } from '../signature/outbound-signing';
import type { PresetName } from '../signature/signature.types';
import { verifySignature } from '../signature/verify-signature';
import { PRESETS } from './presets';
import { resolveInboundSecurity } from './resolve-inbound-security';

const REPO_ROOT = resolvePath(__dirname, '../../../..');

/**
 * @octokit/webhooks-methods is ESM-only and Jest (CommonJS, no --experimental-vm-modules)
 * cannot load it in-process, so it runs in a plain Node child process, batched.
 */
type OctokitCall =
  | { op: 'sign'; secret: string; payload: string }
  | { op: 'verify'; secret: string; payload: string; signature: string };

function octokit(calls: OctokitCall[]): Array<string | boolean> {
  const script = `
    import { sign, verify } from '@octokit/webhooks-methods';
    const results = [];
    for (const c of JSON.parse(process.argv[1])) {
      results.push(c.op === 'sign' ? await sign(c.secret, c.payload) : await verify(c.secret, c.payload, c.signature));
    }
    process.stdout.write(JSON.stringify(results));`;
  const output = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(calls)],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return JSON.parse(output) as Array<string | boolean>;
}

const NOW = new Date('2025-06-01T12:00:00Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const stripe = new Stripe('sk_test_x');

interface Scenario {
  title: string;
  preset: PresetName;
  secret: string;
  otherSecret: string;
  body: string;
  payload: unknown;
  /** Headers of a request signed by the oracle. */
  sign(body: string, timestampSeconds: number, secret: string): HeaderBag;
  /** `first`'s signature then `second`'s, in the one header the scheme allows. */
  combine(first: HeaderBag, second: HeaderBag): HeaderBag;
  /** The timestamp header to tamper with, when the scheme signs one. */
  timestampHeader?: (headers: HeaderBag, timestampSeconds: number) => HeaderBag;
  identities(headers: HeaderBag): RequestIdentities;
}

const jsonBody = JSON.stringify({
  id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  object: 'event',
  data: { n: 1 },
});
const body = Buffer.from(jsonBody);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const whsec = `whsec_${Buffer.from('standard-webhooks-preset-key-0001').toString('base64')}`;
const otherWhsec = `whsec_${Buffer.from('standard-webhooks-preset-key-0002').toString('base64')}`;

/** Slack's documented signing algorithm; proven against Slack's published vector below. */
const slackSign = (secret: string, ts: number, body: string) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
// Slack's worked example (docs.slack.dev, "Verifying requests from Slack"). Copies of it that
// shorten the token (`xyzz0WbapA4vBCDEEzL8`) do not reproduce the published signature.
const SLACK_VECTOR = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

/** Shopify's documented algorithm (base64 HMAC-SHA256 of the raw body), computed here. */
const shopifySign = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body, 'utf8').digest('base64');

const standardWebhooksScenario = (
  title: string,
  sign: (secret: string, id: string, date: Date, body: string) => string,
): Scenario => ({
  title,
  preset: 'standard-webhooks',
  secret: whsec,
  otherSecret: otherWhsec,
  body: jsonBody,
  payload: JSON.parse(jsonBody),
  sign: (body, ts, secret) => ({
    'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    'webhook-timestamp': String(ts),
    'webhook-signature': sign(secret, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', new Date(ts * 1000), body),
  }),
  combine: (first, second) => ({
    ...second,
    'webhook-signature': `${String(first['webhook-signature'])} ${String(second['webhook-signature'])}`,
  }),
  timestampHeader: (headers, ts) => ({ ...headers, 'webhook-timestamp': String(ts) }),
  identities: () => ({ deliveryIdentity: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', replayIdentity: null }),
});

const scenarios: Scenario[] = [
  {
    title: 'github (oracle: @octokit/webhooks-methods sign)',
    preset: 'github',
    secret: "It's a Secret to Everybody",
    otherSecret: 'not the secret',
    body: jsonBody,
    payload: JSON.parse(jsonBody),
    sign: (body, _ts, secret) => ({
      'x-hub-signature-256': octokit([{ op: 'sign', secret, payload: body }])[0] as string,
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    }),
    combine: (first, second) => ({
      ...second,
      'x-hub-signature-256': [
        String(first['x-hub-signature-256']),
        String(second['x-hub-signature-256']),
      ],
    }),
    identities: () => ({
      deliveryIdentity: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      replayIdentity: null,
    }),
  },
  {
    title: 'stripe (oracle: stripe.webhooks.generateTestHeaderString)',
    preset: 'stripe',
    secret: 'whsec_test_secret_0001',
    otherSecret: 'whsec_test_secret_0002',
    body: jsonBody,
    payload: JSON.parse(jsonBody),
    sign: (body, ts, secret) => ({
      'stripe-signature': stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret,
        timestamp: ts,
      }),
    }),
    combine: (first, second) => {
      const firstSig = /v1=([0-9a-f]+)/.exec(String(first['stripe-signature']))![1];
      const [t, v1] = String(second['stripe-signature']).split(',');
      return { 'stripe-signature': `${t},v1=${firstSig},${v1}` };
    },
    timestampHeader: (headers, ts) => ({
      'stripe-signature': String(headers['stripe-signature']).replace(/t=\d+/, `t=${ts}`),
    }),
    identities: () => ({
      deliveryIdentity: sha256(jsonBody),
      replayIdentity: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
    }),
  },
  {
    title:
      "shopify (oracle: Shopify's documented algorithm computed with node:crypto — no Shopify SDK installed)",
    preset: 'shopify',
    secret: 'shpss_0123456789abcdef',
    otherSecret: 'shpss_fedcba9876543210',
    body: jsonBody,
    payload: JSON.parse(jsonBody),
    sign: (body, _ts, secret) => ({
      'x-shopify-hmac-sha256': shopifySign(secret, body),
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    }),
    combine: (first, second) => ({
      ...second,
      'x-shopify-hmac-sha256': [
        String(first['x-shopify-hmac-sha256']),
        String(second['x-shopify-hmac-sha256']),
      ],
    }),
    identities: () => ({
      deliveryIdentity: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      replayIdentity: null,
    }),
  },
  {
    title: "slack (oracle: Slack's documented algorithm, checked against Slack's published vector)",
    preset: 'slack',
    secret: SLACK_VECTOR.secret,
    otherSecret: '00000000000000000000000000000000',
    body: SLACK_VECTOR.body,
    payload: Object.fromEntries(new URLSearchParams(SLACK_VECTOR.body)),
    sign: (body, ts, secret) => ({
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSign(secret, ts, body),
    }),
    combine: (first, second) => ({
      ...second,
      'x-slack-signature': `${String(first['x-slack-signature'])}, ${String(second['x-slack-signature'])}`,
    }),
    timestampHeader: (headers, ts) => ({ ...headers, 'x-slack-request-timestamp': String(ts) }),
    identities: () => ({ deliveryIdentity: sha256(SLACK_VECTOR.body), replayIdentity: null }),
  },
  standardWebhooksScenario(
    'standard-webhooks (oracle: standardwebhooks Webhook.sign)',
    (secret, id, date, body) => new StandardWebhook(secret).sign(id, date, body),
  ),
  standardWebhooksScenario(
    'standard-webhooks as Svix (oracle: svix Webhook.sign)',
    (secret, id, date, body) => new SvixWebhook(secret).sign(id, date, body),
  ),
];

/** What the gateway runs at receipt, in SPEC §4 order. */
function receive(
  preset: PresetName,
  secrets: { secret?: string; secondarySecret?: string },
  headers: HeaderBag,
  body: Buffer,
  payload: unknown,
  now = NOW,
): RequestIdentities {
  const security = resolveInboundSecurity({ signature: { mode: 'hmac', preset, ...secrets } });
  verifySignature(security.signature!, {
    method: 'POST',
    url: '/webhooks/p',
    path: '/webhooks/p',
    headers,
    rawBody: body,
  });
  if (security.timestamp) checkFreshness(security.timestamp, headers, now);
  return computeIdentities(security.identity, { headers, rawBody: body, payload });
}

function rejection(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the request to be rejected');
}

describe.each(scenarios)('preset $title', (scenario) => {
  const body = Buffer.from(scenario.body);
  let signed: HeaderBag;
  let signedWithOther: HeaderBag;

  beforeAll(() => {
    signed = scenario.sign(scenario.body, NOW_SECONDS - 5, scenario.secret);
    signedWithOther = scenario.sign(scenario.body, NOW_SECONDS - 5, scenario.otherSecret);
  });

  it('verifies the oracle-made request and derives the preset identities', () => {
    expect(
      receive(scenario.preset, { secret: scenario.secret }, signed, body, scenario.payload),
    ).toEqual(scenario.identities(signed));
  });

  it('rejects one altered body byte', () => {
    const altered = Buffer.from(body);
    altered[altered.length - 2] ^= 0x01;
    const error = rejection(() =>
      receive(scenario.preset, { secret: scenario.secret }, signed, altered, scenario.payload),
    );
    expect(error).toBeInstanceOf(SignatureValidationError);
    expect((error as SignatureValidationError).reason).toMatch(/^no signature matched/);
  });

  it('rejects a request signed with another secret', () => {
    const error = rejection(() =>
      receive(
        scenario.preset,
        { secret: scenario.secret },
        signedWithOther,
        body,
        scenario.payload,
      ),
    );
    expect(error).toBeInstanceOf(SignatureValidationError);
  });

  it('rejects when the endpoint holds a different secret', () => {
    expect(
      rejection(() =>
        receive(scenario.preset, { secret: scenario.otherSecret }, signed, body, scenario.payload),
      ),
    ).toBeInstanceOf(SignatureValidationError);
  });

  it('accepts the secondary secret (rotation)', () => {
    expect(() =>
      receive(
        scenario.preset,
        { secret: scenario.otherSecret, secondarySecret: scenario.secret },
        signed,
        body,
        scenario.payload,
      ),
    ).not.toThrow();
  });

  it('accepts a header with several signatures where only the second matches', () => {
    const combined = scenario.combine(signedWithOther, signed);
    expect(() =>
      receive(scenario.preset, { secret: scenario.secret }, combined, body, scenario.payload),
    ).not.toThrow();
    // The first signature alone does not match, so it was the second one that passed.
    expect(
      rejection(() =>
        receive(
          scenario.preset,
          { secret: scenario.secret },
          signedWithOther,
          body,
          scenario.payload,
        ),
      ),
    ).toBeInstanceOf(SignatureValidationError);
  });

  if (scenario.timestampHeader) {
    const tamper = scenario.timestampHeader;

    it('rejects a stale timestamp (301 s old, limit 300 s)', () => {
      const stale = scenario.sign(scenario.body, NOW_SECONDS - 301, scenario.secret);
      const error = rejection(() =>
        receive(scenario.preset, { secret: scenario.secret }, stale, body, scenario.payload),
      );
      expect(error).toBeInstanceOf(FreshnessValidationError);
      expect((error as FreshnessValidationError).reason).toMatch(/301 s old, the limit is 300 s/);
    });

    it('rejects a future timestamp (301 s ahead, limit 300 s)', () => {
      const future = scenario.sign(scenario.body, NOW_SECONDS + 301, scenario.secret);
      const error = rejection(() =>
        receive(scenario.preset, { secret: scenario.secret }, future, body, scenario.payload),
      );
      expect(error).toBeInstanceOf(FreshnessValidationError);
      expect((error as FreshnessValidationError).reason).toMatch(/301 s in the future/);
    });

    it('rejects a stale request whose timestamp was rewritten to look fresh', () => {
      const stale = scenario.sign(scenario.body, NOW_SECONDS - 3600, scenario.secret);
      expect(
        rejection(() =>
          receive(
            scenario.preset,
            { secret: scenario.secret },
            tamper(stale, NOW_SECONDS),
            body,
            scenario.payload,
          ),
        ),
      ).toBeInstanceOf(SignatureValidationError);
    });
  } else {
    it('has no timestamp to check, so an old request still verifies', () => {
      expect(PRESETS[scenario.preset].timestamp.enabled).toBe(false);
      const old = scenario.sign(scenario.body, NOW_SECONDS - 86_400, scenario.secret);
      expect(() =>
        receive(scenario.preset, { secret: scenario.secret }, old, body, scenario.payload),
      ).not.toThrow();
    });
  }
});

describe('preset oracles, fixed vectors', () => {
  it("slack: Slack's published example request verifies", () => {
    expect(slackSign(SLACK_VECTOR.secret, SLACK_VECTOR.timestamp, SLACK_VECTOR.body)).toBe(
      SLACK_VECTOR.signature,
    );
    const headers = {
      'X-Slack-Request-Timestamp': String(SLACK_VECTOR.timestamp),
      'X-Slack-Signature': SLACK_VECTOR.signature,
    };
    const receivedAt = new Date((SLACK_VECTOR.timestamp + 10) * 1000);
    expect(() =>
      receive(
        'slack',
        { secret: SLACK_VECTOR.secret },
        headers,
        Buffer.from(SLACK_VECTOR.body),
        null,
        receivedAt,
      ),
    ).not.toThrow();
  });

  it("github: GitHub's documented example vector, signed by octokit, verifies", () => {
    const [signature] = octokit([
      { op: 'sign', secret: "It's a Secret to Everybody", payload: 'Hello, World!' },
    ]);
    expect(signature).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
    expect(() =>
      receive(
        'github',
        { secret: "It's a Secret to Everybody" },
        { 'x-hub-signature-256': signature as string, 'x-github-delivery': 'd-1' },
        Buffer.from('Hello, World!'),
        null,
      ),
    ).not.toThrow();
  });

  it('github: octokit verify accepts what Hookgate signOutbound produces in GitHub layout', () => {
    const secret = 'outbound-secret';
    const headers = signOutbound(
      { type: 'hmac', secret, header: 'X-Hub-Signature-256', prefix: 'sha256=' },
      { id: 'd1', timestampSeconds: NOW_SECONDS, body },
    );
    const [valid, tampered] = octokit([
      { op: 'verify', secret, payload: jsonBody, signature: headers['X-Hub-Signature-256'] },
      { op: 'verify', secret, payload: `${jsonBody} `, signature: headers['X-Hub-Signature-256'] },
    ]);
    expect(valid).toBe(true);
    expect(tampered).toBe(false);
  });

  it('stripe: the verification SDK accepts the test header we verify (sanity of the oracle)', () => {
    const header = stripe.webhooks.generateTestHeaderString({
      payload: jsonBody,
      secret: 'whsec_x',
      timestamp: NOW_SECONDS,
    });
    expect(
      stripe.webhooks.signature!.verifyHeader(
        jsonBody,
        header,
        'whsec_x',
        300,
        undefined,
        NOW.getTime(),
      ),
    ).toBe(true);
  });

  it('standard-webhooks: a request missing webhook-id is rejected naming the header', () => {
    const headers = {
      'webhook-timestamp': String(NOW_SECONDS),
      'webhook-signature': new StandardWebhook(whsec).sign('m', NOW, jsonBody),
    };
    const error = rejection(() =>
      receive('standard-webhooks', { secret: whsec }, headers, body, null),
    );
    expect((error as SignatureValidationError).reason).toMatch(/missing header webhook-id/);
  });
});
