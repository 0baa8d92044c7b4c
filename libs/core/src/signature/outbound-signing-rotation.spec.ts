import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { rotationOpen, signOutbound } from './outbound-signing';

/**
 * Secret rotation on the sending side: during the window both secrets sign, so a receiver
 * holding either verifies with its own, unmodified SDK; after it only the new one does.
 */
const newSecret = `whsec_${randomBytes(24).toString('base64')}`;
const oldSecret = `whsec_${randomBytes(24).toString('base64')}`;
const body = Buffer.from(JSON.stringify({ id: 'evt_rot', type: 'order.paid' }));
const now = Math.floor(Date.now() / 1000);
const inAnHour = new Date((now + 3600) * 1000).toISOString();
const aMinuteAgo = new Date((now - 60) * 1000).toISOString();

function standard(expiresAt: string) {
  return signOutbound(
    {
      type: 'standard-webhooks',
      secret: newSecret,
      previousSecret: oldSecret,
      previousSecretExpiresAt: expiresAt,
    },
    { id: 'msg_rot', timestampSeconds: now, body },
  );
}

const verifies = (secret: string, headers: Record<string, string>): boolean => {
  try {
    new StandardWebhook(secret).verify(body.toString(), headers);
    return true;
  } catch {
    return false;
  }
};

describe('signOutbound during a secret rotation', () => {
  it('standard-webhooks: new first, old second; a receiver with either secret verifies', () => {
    const headers = standard(inAnHour);
    const entries = headers['webhook-signature'].split(' ');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toBe(
      new StandardWebhook(newSecret).sign('msg_rot', new Date(now * 1000), body.toString()),
    );
    expect(entries[1]).toBe(
      new StandardWebhook(oldSecret).sign('msg_rot', new Date(now * 1000), body.toString()),
    );
    expect(verifies(newSecret, headers)).toBe(true);
    expect(verifies(oldSecret, headers)).toBe(true);
    expect(verifies(`whsec_${randomBytes(24).toString('base64')}`, headers)).toBe(false);
  });

  it('standard-webhooks: after the window only the new secret signs', () => {
    const headers = standard(aMinuteAgo);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verifies(newSecret, headers)).toBe(true);
    expect(verifies(oldSecret, headers)).toBe(false);
  });

  it('ignores a previous secret whose expiry is missing or unreadable', () => {
    const signing = { type: 'standard-webhooks' as const, secret: newSecret };
    const input = { id: 'm', timestampSeconds: now, body };
    for (const extra of [
      { previousSecret: oldSecret },
      { previousSecret: oldSecret, previousSecretExpiresAt: 'not a date' },
    ]) {
      const headers = signOutbound({ ...signing, ...extra }, input);
      expect(headers['webhook-signature'].split(' ')).toHaveLength(1);
      expect(verifies(oldSecret, headers)).toBe(false);
    }
  });

  it('timestamped hmac: t=…,v1=<new>,v1=<old>; Stripe constructEvent accepts either secret', () => {
    const sign = (expiresAt: string) =>
      signOutbound(
        {
          type: 'hmac',
          header: 'Stripe-Signature',
          timestamped: true,
          secret: 'whsec_new_stripe_style',
          previousSecret: 'whsec_old_stripe_style',
          previousSecretExpiresAt: expiresAt,
        },
        { id: 'd', timestampSeconds: now, body },
      )['Stripe-Signature'];
    const stripe = new Stripe('sk_test_x');
    const accepts = (header: string, secret: string): boolean => {
      try {
        stripe.webhooks.constructEvent(body, header, secret);
        return true;
      } catch {
        return false;
      }
    };
    const during = sign(inAnHour);
    expect(during).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(accepts(during, 'whsec_new_stripe_style')).toBe(true);
    expect(accepts(during, 'whsec_old_stripe_style')).toBe(true);
    const after = sign(aMinuteAgo);
    expect(after).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(accepts(after, 'whsec_new_stripe_style')).toBe(true);
    expect(accepts(after, 'whsec_old_stripe_style')).toBe(false);
  });

  it('plain hmac holds one signature: the current secret only', () => {
    const headers = signOutbound(
      {
        type: 'hmac',
        header: 'X-Signature',
        prefix: 'sha256=',
        secret: 'new',
        previousSecret: 'old',
        previousSecretExpiresAt: inAnHour,
      },
      { id: 'd', timestampSeconds: now, body },
    );
    expect(headers['X-Signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('rotationOpen: closes at the start of the second the expiry falls in, never later', () => {
    const expiry = new Date(1_700_000_000_000).toISOString();
    expect(rotationOpen(expiry, 1_699_999_999)).toBe(true);
    expect(rotationOpen(expiry, 1_699_999_999.9)).toBe(true);
    expect(rotationOpen(expiry, 1_700_000_000)).toBe(false);
    const midSecond = new Date(1_700_000_000_600).toISOString();
    expect(rotationOpen(midSecond, 1_699_999_999)).toBe(true);
    expect(rotationOpen(midSecond, 1_700_000_000)).toBe(false);
    expect(rotationOpen('garbage', 0)).toBe(false);
  });
});
