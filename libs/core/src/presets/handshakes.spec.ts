import { createHmac } from 'node:crypto';
import { FreshnessValidationError, SignatureValidationError } from '../errors/errors';
import { answerBodyHandshake, answerMetaHandshake } from './handshakes';

/** Provider URL-verification challenges: answered only where enabled and proven. */
describe('answerMetaHandshake', () => {
  const meta = { meta: { verifyToken: 'tok' } };
  const ask = (token: string) => ({
    'hub.mode': 'subscribe',
    'hub.verify_token': token,
    'hub.challenge': 'c-1',
  });

  it('echoes the challenge for the right verify token only', () => {
    expect(answerMetaHandshake('GET', ask('tok'), meta)).toEqual({ status: 200, body: 'c-1' });
    expect(answerMetaHandshake('GET', ask('nope'), meta)).toEqual({
      status: 403,
      body: { error: 'verify_token_mismatch' },
    });
  });

  it('is no handshake when not enabled, not a GET or not a subscribe', () => {
    expect(answerMetaHandshake('GET', ask('tok'), {})).toBeNull();
    expect(answerMetaHandshake('POST', ask('tok'), meta)).toBeNull();
    expect(answerMetaHandshake('GET', { 'hub.mode': 'x' }, meta)).toBeNull();
  });
});

describe('answerBodyHandshake', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const request = (body: string, headers: Record<string, string> = {}) => ({
    method: 'POST',
    url: '/webhooks/x',
    path: '/webhooks/x',
    headers,
    rawBody: Buffer.from(body),
  });

  it('answers Slack’s url_verification where enabled', () => {
    const body = { type: 'url_verification', challenge: 'ch' };
    const raw = JSON.stringify(body);
    expect(answerBodyHandshake(body, { slack: true }, request(raw), now)).toEqual({
      status: 200,
      body: { challenge: 'ch' },
    });
    expect(answerBodyHandshake(body, {}, request(raw), now)).toBeNull();
    expect(answerBodyHandshake([body], { slack: true }, request(raw), now)).toBeNull();
  });

  it('answers a Zoom validation only when Zoom signed it, recently', () => {
    const secret = 'zoom-secret';
    const body = { event: 'endpoint.url_validation', payload: { plainToken: 'pt' } };
    const raw = JSON.stringify(body);
    const signed = (at: Date) => {
      const ts = String(Math.floor(at.getTime() / 1000));
      const mac = createHmac('sha256', secret).update(`v0:${ts}:${raw}`).digest('hex');
      return { 'x-zm-request-timestamp': ts, 'x-zm-signature': `v0=${mac}` };
    };
    const zoom = { zoom: { secretToken: secret } };
    expect(answerBodyHandshake(body, zoom, request(raw, signed(now)), now)).toEqual({
      status: 200,
      body: {
        plainToken: 'pt',
        encryptedToken: createHmac('sha256', secret).update('pt').digest('hex'),
      },
    });
    expect(() => answerBodyHandshake(body, zoom, request(raw), now)).toThrow(
      SignatureValidationError,
    );
    const old = new Date(now.getTime() - 3_600_000);
    expect(() => answerBodyHandshake(body, zoom, request(raw, signed(old)), now)).toThrow(
      FreshnessValidationError,
    );
    expect(answerBodyHandshake(body, { zoom: {} }, request(raw), now)).toEqual({
      status: 400,
      body: { error: 'handshake_invalid' },
    });
  });
});
