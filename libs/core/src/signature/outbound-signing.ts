/**
 * Owns signing outbound deliveries: the headers a receiver needs to verify that a request
 * came from Hookgate. The request builder adds them last, over the final body bytes.
 */
import { Buffer } from 'node:buffer';
import { ProcessingConfigurationError } from '../errors/errors';
import { computeSignature } from './hmac';
import { decodeSecret } from './secret';
import type { OutboundSigningConfig, OutboundSigningRotation } from './signature.types';

export interface OutboundSigningInput {
  /** Message id; the delivery id, stable across retries so receivers can deduplicate. */
  id: string;
  /** Unix seconds; fractions are dropped. */
  timestampSeconds: number;
  /** The exact body bytes that will be sent. */
  body: Buffer;
}

/**
 * Headers to add for `config` (none for `type: 'none'`).
 * - `standard-webhooks`: `webhook-id`, `webhook-timestamp` and
 *   `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the
 *   `whsec_` secret — what the Standard Webhooks and Svix SDKs verify.
 * - `hmac`: `header: <prefix><signature of body>`; with `timestamped`,
 *   `header: t=<ts>,v1=<prefix><signature of "ts.body">` (Stripe's layout). The prefix sits
 *   in front of the signature in both layouts, mirroring how inbound verification strips it.
 *   Defaults: sha256, hex, utf8 secret, no prefix.
 *
 * Rotation: while a `previousSecret` is unexpired at the signing time, the layouts that can
 * hold several signatures carry both, the new one first — `v1,<new> v1,<old>` and
 * `t=<ts>,v1=<new>,v1=<old>` — so a receiver holding either secret verifies. The plain
 * `hmac` layout holds one signature (GitHub-style receivers compare the whole header), so
 * it signs with the current secret only; the admin API refuses an overlap for it.
 */
export function signOutbound(
  config: OutboundSigningConfig,
  input: OutboundSigningInput,
): Record<string, string> {
  switch (config.type) {
    case 'none':
      return {};
    case 'standard-webhooks': {
      const timestamp = String(toUnixSeconds(input.timestampSeconds));
      const message = Buffer.concat([Buffer.from(`${input.id}.${timestamp}.`, 'utf8'), input.body]);
      const signatures = signingSecrets(config, input.timestampSeconds).map(
        (secret) =>
          `v1,${computeSignature({ digest: 'sha256', encoding: 'base64' }, decodeSecret(secret, 'whsec'), message)}`,
      );
      return {
        'webhook-id': input.id,
        'webhook-timestamp': timestamp,
        'webhook-signature': signatures.join(' '),
      };
    }
    case 'hmac': {
      if (!config.header) {
        throw new ProcessingConfigurationError('Outbound hmac signing needs signing.header', {
          field: 'signing.header',
        });
      }
      const algorithm = { digest: config.digest ?? 'sha256', encoding: config.encoding ?? 'hex' };
      const sign = (secret: string, message: Buffer): string =>
        computeSignature(algorithm, decodeSecret(secret, config.secretEncoding ?? 'utf8'), message);
      const prefix = config.prefix ?? '';
      if (!config.timestamped) {
        return { [config.header]: prefix + sign(config.secret, input.body) };
      }
      const timestamp = String(toUnixSeconds(input.timestampSeconds));
      const message = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), input.body]);
      const signatures = signingSecrets(config, input.timestampSeconds).map(
        (secret) => `v1=${prefix}${sign(secret, message)}`,
      );
      return { [config.header]: `t=${timestamp},${signatures.join(',')}` };
    }
  }
}

/** The current secret, then the previous one while its window is open at `atSeconds`. */
function signingSecrets(
  config: { secret: string } & OutboundSigningRotation,
  atSeconds: number,
): string[] {
  const { previousSecret, previousSecretExpiresAt } = config;
  if (!previousSecret || !previousSecretExpiresAt) return [config.secret];
  return rotationOpen(previousSecretExpiresAt, atSeconds)
    ? [config.secret, previousSecret]
    : [config.secret];
}

/**
 * Whether a previous secret expiring at `expiresAt` (ISO 8601) still signs at `atSeconds`.
 * Signing times are whole seconds, so the window closes at the start of the second the
 * expiry falls in: never later than the expiry, at most a second early.
 */
export function rotationOpen(expiresAt: string, atSeconds: number): boolean {
  const expiresMs = Date.parse(expiresAt);
  return Number.isFinite(expiresMs) && Math.floor(atSeconds) < Math.floor(expiresMs / 1000);
}

function toUnixSeconds(value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new ProcessingConfigurationError(
      `Invalid signing timestamp ${value}: expected unix seconds`,
    );
  }
  return Math.floor(value);
}
