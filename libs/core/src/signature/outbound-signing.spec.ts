import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { ProcessingConfigurationError } from '../errors/errors';
import { signOutbound } from './outbound-signing';
import type { ResolvedSignatureConfig } from './signature.types';
import { verifySignature } from './verify-signature';

const WHSEC = `whsec_${Buffer.from('hookgate-outbound-signing-test-key').toString('base64')}`;
const body = Buffer.from(JSON.stringify({ id: 'evt_1', object: 'event', type: 'order.paid' }));
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('signOutbound', () => {
  it('adds nothing for signing none', () => {
    expect(signOutbound({ type: 'none' }, { id: 'd1', timestampSeconds: 1, body })).toEqual({});
  });

  describe('standard-webhooks', () => {
    it('produces the three headers, v1 base64 of "id.timestamp.body"', () => {
      const headers = signOutbound(
        { type: 'standard-webhooks', secret: WHSEC },
        { id: 'msg_1', timestampSeconds: 1700000000.9, body },
      );
      const key = Buffer.from(WHSEC.slice('whsec_'.length), 'base64');
      const expected = createHmac('sha256', key)
        .update(Buffer.concat([Buffer.from('msg_1.1700000000.'), body]))
        .digest('base64');
      expect(headers).toEqual({
        'webhook-id': 'msg_1',
        'webhook-timestamp': '1700000000',
        'webhook-signature': `v1,${expected}`,
      });
    });

    it('is accepted by the standardwebhooks SDK', () => {
      const headers = signOutbound(
        { type: 'standard-webhooks', secret: WHSEC },
        { id: 'msg_sw', timestampSeconds: nowSeconds(), body },
      );
      expect(new StandardWebhook(WHSEC).verify(body.toString(), headers)).toEqual(
        JSON.parse(body.toString()),
      );
    });

    it('matches the standardwebhooks SDK signature byte for byte', () => {
      const ts = 1700000123;
      const headers = signOutbound(
        { type: 'standard-webhooks', secret: WHSEC },
        { id: 'msg_eq', timestampSeconds: ts, body },
      );
      expect(headers['webhook-signature']).toBe(
        new StandardWebhook(WHSEC).sign('msg_eq', new Date(ts * 1000), body.toString()),
      );
    });

    it('is accepted by the svix SDK, and a tampered body is not', () => {
      const headers = signOutbound(
        { type: 'standard-webhooks', secret: WHSEC },
        { id: 'msg_svix', timestampSeconds: nowSeconds(), body },
      );
      const svix = new SvixWebhook(WHSEC);
      expect(svix.verify(body.toString(), headers)).toEqual(JSON.parse(body.toString()));
      expect(() => svix.verify(body.toString().replace('paid', 'Paid'), headers)).toThrow();
    });
  });

  describe('hmac', () => {
    it('signs the body with header = prefix + signature', () => {
      const headers = signOutbound(
        { type: 'hmac', secret: 'k', header: 'X-Hub-Signature-256', prefix: 'sha256=' },
        { id: 'd1', timestampSeconds: 1, body },
      );
      expect(headers).toEqual({
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`,
      });
    });

    it('honours digest, encoding and secret encoding', () => {
      const headers = signOutbound(
        {
          type: 'hmac',
          secret: Buffer.from('raw-key').toString('base64'),
          secretEncoding: 'base64',
          header: 'X-Sig',
          digest: 'sha512',
          encoding: 'base64',
        },
        { id: 'd1', timestampSeconds: 1, body },
      );
      expect(headers['X-Sig']).toBe(createHmac('sha512', 'raw-key').update(body).digest('base64'));
    });

    it('timestamped: t=<ts>,v1=<sig of "ts.body">, accepted by Stripe constructEvent', () => {
      const secret = 'whsec_stripe_style_secret';
      const ts = nowSeconds();
      const headers = signOutbound(
        { type: 'hmac', secret, header: 'Stripe-Signature', timestamped: true },
        { id: 'd1', timestampSeconds: ts, body },
      );
      const expected = createHmac('sha256', secret)
        .update(`${ts}.${body.toString()}`)
        .digest('hex');
      expect(headers).toEqual({ 'Stripe-Signature': `t=${ts},v1=${expected}` });
      const event = new Stripe('sk_test_x').webhooks.constructEvent(
        body,
        headers['Stripe-Signature'],
        secret,
      );
      expect(event.id).toBe('evt_1');
    });

    it('timestamped with a prefix round-trips through inbound key-value verification', () => {
      const headers = signOutbound(
        { type: 'hmac', secret: 'k', header: 'X-Sig', prefix: 'sha256=', timestamped: true },
        { id: 'd1', timestampSeconds: 1700000000, body },
      );
      expect(headers['X-Sig']).toMatch(/^t=1700000000,v1=sha256=[0-9a-f]{64}$/);
      const inbound: ResolvedSignatureConfig = {
        mode: 'hmac',
        digest: 'sha256',
        encoding: 'hex',
        secrets: ['k'],
        secretEncoding: 'utf8',
        header: 'X-Sig',
        prefix: 'sha256=',
        headerFormat: 'key-value',
        headerKey: 'v1',
        version: 'v1',
        parts: [
          { kind: 'header_param', name: 'X-Sig', param: 't' },
          { kind: 'literal', value: '.' },
          { kind: 'body' },
        ],
      };
      expect(() =>
        verifySignature(inbound, { method: 'POST', url: '/', path: '/', headers, rawBody: body }),
      ).not.toThrow();
    });

    it('refuses a config without a header, an empty secret or a bad timestamp', () => {
      const input = { id: 'd1', timestampSeconds: 1, body };
      expect(() => signOutbound({ type: 'hmac', secret: 'k', header: '' }, input)).toThrow(
        /signing\.header/,
      );
      expect(() => signOutbound({ type: 'hmac', secret: '', header: 'X' }, input)).toThrow(
        ProcessingConfigurationError,
      );
      expect(() =>
        signOutbound(
          { type: 'hmac', secret: 'k', header: 'X', timestamped: true },
          { ...input, timestampSeconds: Number.NaN },
        ),
      ).toThrow(/Invalid signing timestamp/);
      expect(() =>
        signOutbound(
          { type: 'standard-webhooks', secret: WHSEC },
          { ...input, timestampSeconds: -1 },
        ),
      ).toThrow(ProcessingConfigurationError);
    });
  });
});
