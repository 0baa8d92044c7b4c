import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { rotationOpen, type EndpointAuth, type OutboundSigningConfig } from '@app/core';
import {
  withAuthSecret,
  withSigningSecret,
  type OutboundEndpointEntity,
  type SecretBox,
  type StoredEndpointAuth,
  type StoredOutboundSigning,
} from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import type { AuthDto, CreateOutboundEndpointDto, SigningDto } from './outbound-endpoint.dto';
import { withoutUndefined } from './outbound-endpoint-settings';

/**
 * An outbound endpoint's secrets at rest (SPEC §5): sealed with the SecretBox under the
 * names the dispatcher reads, kept when an update omits them (unless the signing or auth
 * type changes), never answered.
 */
export const SIGNING_SECRET = 'signingSecret';
/** The secret a rotation replaced, signed with until `signing.previousSecretExpiresAt`. */
export const PREVIOUS_SIGNING_SECRET = 'previousSigningSecret';
export const AUTH_SECRET = 'authSecret';

type Secrets = Record<string, string>;

export interface EndpointSecurity {
  signing: StoredOutboundSigning;
  auth: StoredEndpointAuth;
  secrets: Secrets;
  plainSigning: OutboundSigningConfig;
  plainAuth: EndpointAuth;
}

@Injectable()
export class OutboundEndpointSecrets {
  constructor(@Inject(SECRET_BOX) private readonly box: SecretBox) {}

  /**
   * Splits the secret out of signing and auth, seals a new one, keeps the stored one when
   * the update names the same type without a secret, and drops it otherwise. Also answers
   * the plaintext configs, so validation proves the secrets that will actually be used.
   */
  prepare(
    dto: Pick<CreateOutboundEndpointDto, 'signing' | 'auth'>,
    current: OutboundEndpointEntity | null,
  ): EndpointSecurity {
    const secrets: Secrets = { ...(current?.secrets ?? {}) };
    const storedSigning = current?.signing ?? { type: 'none' };
    const storedAuth = current?.auth ?? { type: 'none' };

    const keepSigning = !dto.signing || dto.signing.type === storedSigning.type;
    let signing = dto.signing ? storedSigningOf(dto.signing) : storedSigning;
    this.applySecret(secrets, SIGNING_SECRET, {
      needed: signing.type !== 'none',
      given: dto.signing?.secret,
      keep: keepSigning,
    });
    // A rotation window survives an update that keeps the scheme and its secret; a new
    // secret or scheme ends it (rotate-secret is the way to change a secret with overlap).
    const window = rotationWindow(storedSigning, new Date());
    if (window && keepSigning && dto.signing?.secret === undefined && signing.type !== 'none') {
      signing = { ...signing, previousSecretExpiresAt: window };
    } else {
      if (signing.type !== 'none') delete signing.previousSecretExpiresAt;
      delete secrets[PREVIOUS_SIGNING_SECRET];
    }
    const auth = dto.auth ? storedAuthOf(dto.auth) : storedAuth;
    this.applySecret(secrets, AUTH_SECRET, {
      needed: auth.type !== 'none',
      given: dto.auth ? authSecretOf(dto.auth) : undefined,
      keep: !dto.auth || dto.auth.type === storedAuth.type,
    });

    return {
      signing,
      auth,
      secrets,
      plainSigning: withSigningSecret(signing, this.plain(secrets, SIGNING_SECRET)),
      plainAuth: withAuthSecret(auth, this.plain(secrets, AUTH_SECRET)),
    };
  }

  /**
   * A signing-secret rotation: `secret` (or a generated one in the scheme's encoding)
   * becomes current; the current one is kept sealed as the previous secret until
   * `now + overlapSeconds` (none with 0). A rotation during a window drops the older
   * previous secret: one previous secret at a time. Answers the new secret in plaintext,
   * once, for the caller to hand to its receivers.
   */
  rotateSigning(
    current: OutboundEndpointEntity,
    given: string | undefined,
    overlapSeconds: number,
    now: Date,
  ): {
    signing: StoredOutboundSigning;
    secrets: Secrets;
    secret: string;
    previousSecretExpiresAt: string | null;
  } {
    const stored = current.signing ?? { type: 'none' };
    if (stored.type === 'none') throw new Error('rotateSigning needs a signing scheme');
    const secrets: Secrets = { ...(current.secrets ?? {}) };
    const secret = given ?? generatedSecret(stored);
    const expiresAt =
      overlapSeconds > 0 && secrets[SIGNING_SECRET]
        ? new Date(now.getTime() + overlapSeconds * 1000).toISOString()
        : null;
    const signing: StoredOutboundSigning = { ...stored };
    delete signing.previousSecretExpiresAt;
    if (expiresAt) {
      secrets[PREVIOUS_SIGNING_SECRET] = secrets[SIGNING_SECRET];
      signing.previousSecretExpiresAt = expiresAt;
    } else {
      delete secrets[PREVIOUS_SIGNING_SECRET];
    }
    secrets[SIGNING_SECRET] = this.box.encrypt(secret);
    return { signing, secrets, secret, previousSecretExpiresAt: expiresAt };
  }

  private plain(secrets: Secrets, name: string): string {
    return secrets[name] ? this.box.decrypt(secrets[name]) : '';
  }

  private applySecret(
    secrets: Secrets,
    name: string,
    rule: { needed: boolean; given: string | undefined; keep: boolean },
  ): void {
    if (!rule.needed) delete secrets[name];
    else if (rule.given !== undefined) secrets[name] = this.box.encrypt(rule.given);
    else if (!rule.keep) delete secrets[name];
  }
}

/** The expiry of a stored rotation window still open at `now`, or null. */
function rotationWindow(signing: StoredOutboundSigning, now: Date): string | null {
  if (signing.type === 'none' || !signing.previousSecretExpiresAt) return null;
  return rotationOpen(signing.previousSecretExpiresAt, now.getTime() / 1000)
    ? signing.previousSecretExpiresAt
    : null;
}

/** A fresh 32-byte secret written the way the scheme reads its secret. */
function generatedSecret(signing: Exclude<StoredOutboundSigning, { type: 'none' }>): string {
  const key = randomBytes(32);
  if (signing.type === 'standard-webhooks') return `whsec_${key.toString('base64')}`;
  switch (signing.secretEncoding ?? 'utf8') {
    case 'whsec':
      return `whsec_${key.toString('base64')}`;
    case 'base64':
      return key.toString('base64');
    case 'utf8':
      return key.toString('hex');
  }
}

function storedSigningOf(dto: SigningDto): StoredOutboundSigning {
  switch (dto.type) {
    case 'none':
      return { type: 'none' };
    case 'standard-webhooks':
      return { type: 'standard-webhooks' };
    case 'hmac':
      return withoutUndefined({
        type: 'hmac' as const,
        header: dto.header ?? '',
        digest: dto.digest,
        encoding: dto.encoding,
        secretEncoding: dto.secretEncoding,
        prefix: dto.prefix,
        timestamped: dto.timestamped,
      });
  }
}

function storedAuthOf(dto: AuthDto): StoredEndpointAuth {
  switch (dto.type) {
    case 'none':
      return { type: 'none' };
    case 'basic':
      return { type: 'basic', username: dto.username ?? '' };
    case 'bearer':
      return { type: 'bearer' };
    case 'api_key':
      return { type: 'api_key', in: dto.in ?? 'header', name: dto.name ?? '' };
  }
}

/** Each auth type has exactly one secret; this is the one the request names. */
function authSecretOf(dto: AuthDto): string | undefined {
  switch (dto.type) {
    case 'none':
      return undefined;
    case 'basic':
      return dto.password;
    case 'bearer':
      return dto.token;
    case 'api_key':
      return dto.value;
  }
}
