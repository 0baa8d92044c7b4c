import { createHash } from 'node:crypto';
import { SecretBox } from './secret-box';

/** The settings createSecretBox reads (every app's validated config has them). */
export interface SecretsSettings {
  NODE_ENV: string;
  SECRETS_KEY?: string;
  SECRETS_KEY_PREVIOUS?: string;
}

/**
 * The SecretBox every app uses for stored secrets. `SECRETS_KEY` is required in
 * production; elsewhere a fixed development key is used with a loud warning, so a demo
 * runs with no setup but nobody mistakes it for a safe deployment. The key id is the
 * key's fingerprint, so rotating the key changes the id stored with new ciphertexts.
 * `SECRETS_KEY_PREVIOUS` (comma-separated) keeps old keys readable during a rotation.
 */
const DEVELOPMENT_KEY = Buffer.from('hookgate-development-only-key-32', 'utf8');

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createSecretBox(
  config: SecretsSettings,
  warn: (message: string) => void = defaultWarn,
): SecretBox {
  let active: Buffer;
  if (config.SECRETS_KEY) {
    active = Buffer.from(config.SECRETS_KEY, 'base64');
  } else {
    if (config.NODE_ENV === 'production') {
      throw new Error('SECRETS_KEY is required when NODE_ENV=production (openssl rand -base64 32)');
    }
    warn(
      'SECRETS_KEY is not set: stored secrets are encrypted with a fixed DEVELOPMENT key. ' +
        'Set SECRETS_KEY (openssl rand -base64 32) before storing real secrets.',
    );
    active = DEVELOPMENT_KEY;
  }
  const previous = (config.SECRETS_KEY_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Buffer.from(s, 'base64'));
  // The development key stays readable outside production, so a demo database survives
  // setting SECRETS_KEY later (re-encrypt to move its secrets under the new key).
  const readable =
    config.NODE_ENV === 'production'
      ? [active, ...previous]
      : [active, ...previous, DEVELOPMENT_KEY];
  const keys = readable.map((key) => ({ id: keyId(key), key }));
  const unique = keys.filter((k, i) => keys.findIndex((o) => o.id === k.id) === i);
  return new SecretBox({ keys: unique, activeKeyId: keyId(active) });
}

let warned = false;
function defaultWarn(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`\n*** WARNING: ${message} ***\n\n`);
}
