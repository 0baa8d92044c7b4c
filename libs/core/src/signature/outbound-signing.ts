/**
 * Owns signing outbound deliveries: the headers a receiver needs to verify that a request
 * came from Hookgate. The request builder adds them last, over the final body bytes.
 */
import { Buffer } from 'node:buffer';
import { ProcessingConfigurationError } from '../errors/errors';
import { computeSignature } from './hmac';
import { decodeSecret } from './secret';
import type { OutboundSigningConfig } from './signature.types';

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
      const signature = computeSignature(
        { digest: 'sha256', encoding: 'base64' },
        decodeSecret(config.secret, 'whsec'),
        message,
      );
      return {
        'webhook-id': input.id,
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${signature}`,
      };
    }
    case 'hmac': {
      if (!config.header) {
        throw new ProcessingConfigurationError('Outbound hmac signing needs signing.header', {
          field: 'signing.header',
        });
      }
      const algorithm = { digest: config.digest ?? 'sha256', encoding: config.encoding ?? 'hex' };
      const key = decodeSecret(config.secret, config.secretEncoding ?? 'utf8');
      const prefix = config.prefix ?? '';
      if (!config.timestamped) {
        return { [config.header]: prefix + computeSignature(algorithm, key, input.body) };
      }
      const timestamp = String(toUnixSeconds(input.timestampSeconds));
      const message = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), input.body]);
      return {
        [config.header]: `t=${timestamp},v1=${prefix}${computeSignature(algorithm, key, message)}`,
      };
    }
  }
}

function toUnixSeconds(value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new ProcessingConfigurationError(
      `Invalid signing timestamp ${value}: expected unix seconds`,
    );
  }
  return Math.floor(value);
}
