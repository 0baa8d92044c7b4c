import { Inject, Injectable } from '@nestjs/common';
import type { EndpointAuth, OutboundSigningConfig } from '@app/core';
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

    const signing = dto.signing ? storedSigningOf(dto.signing) : storedSigning;
    this.applySecret(secrets, SIGNING_SECRET, {
      needed: signing.type !== 'none',
      given: dto.signing?.secret,
      keep: !dto.signing || dto.signing.type === storedSigning.type,
    });
    const auth = dto.auth ? storedAuthOf(dto.auth) : storedAuth;
    this.applySecret(secrets, AUTH_SECRET, {
      needed: auth.type !== 'none',
      given: dto.auth ? authSecretOf(dto.auth) : undefined,
      keep: !dto.auth || dto.auth.type === storedAuth.type,
    });

    const plain = (name: string): string => (secrets[name] ? this.box.decrypt(secrets[name]) : '');
    return {
      signing,
      auth,
      secrets,
      plainSigning: withSigningSecret(signing, plain(SIGNING_SECRET)),
      plainAuth: withAuthSecret(auth, plain(AUTH_SECRET)),
    };
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
