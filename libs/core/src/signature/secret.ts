/**
 * Owns turning a configured signing secret into the HMAC key bytes. Secrets are stored as
 * text; the encoding says how that text maps to key bytes.
 */
import { Buffer } from 'node:buffer';
import { ProcessingConfigurationError } from '../errors/errors';
import type { SecretEncoding } from './signature.types';

/** Standard and URL-safe alphabets, optional padding: what providers hand out. */
const BASE64_PATTERN = /^[A-Za-z0-9+/\-_]+={0,2}$/;
const WHSEC_PREFIX = 'whsec_';

/**
 * The HMAC key for `secret`.
 * - `utf8`: the text itself (GitHub, Stripe — a Stripe `whsec_…` secret is used verbatim).
 * - `base64`: the decoded bytes.
 * - `whsec`: Standard Webhooks' `whsec_<base64>`; the prefix is optional, as in their SDKs.
 *
 * Throws ProcessingConfigurationError for an empty secret or text that is not base64, so a
 * bad secret is reported as configuration rather than silently verifying nothing
 * (Buffer's own base64 decoder skips invalid characters instead of failing).
 */
export function decodeSecret(secret: string, encoding: SecretEncoding): Buffer {
  if (secret.length === 0) {
    throw new ProcessingConfigurationError('The signing secret is empty: set a secret');
  }
  switch (encoding) {
    case 'utf8':
      return Buffer.from(secret, 'utf8');
    case 'base64':
      return decodeBase64Secret(secret.trim(), 'base64');
    case 'whsec': {
      const trimmed = secret.trim();
      const body = trimmed.startsWith(WHSEC_PREFIX) ? trimmed.slice(WHSEC_PREFIX.length) : trimmed;
      return decodeBase64Secret(body, 'whsec');
    }
  }
}

function decodeBase64Secret(text: string, encoding: SecretEncoding): Buffer {
  if (!BASE64_PATTERN.test(text)) {
    throw new ProcessingConfigurationError(
      `The signing secret is not valid ${encoding === 'whsec' ? 'whsec_<base64>' : 'base64'} text: check secretEncoding`,
      { secretEncoding: encoding },
    );
  }
  const key = Buffer.from(text, 'base64');
  if (key.length === 0) {
    throw new ProcessingConfigurationError('The signing secret decodes to no bytes', {
      secretEncoding: encoding,
    });
  }
  return key;
}
