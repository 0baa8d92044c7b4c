import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { HookgateError, resolveInboundSecurity, type SignatureConfig } from '@app/core';
import type { InboundHandshakeSettings, SecretBox } from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import type { CreateInboundEndpointDto } from './inbound-endpoint.dto';

/**
 * An inbound endpoint's secrets at rest (SPEC §4): signature secrets and handshake tokens
 * are sealed with the SecretBox, kept when an update omits them, never answered.
 */
type Secrets = Record<string, string>;

@Injectable()
export class InboundEndpointSecrets {
  constructor(@Inject(SECRET_BOX) private readonly box: SecretBox) {}

  /**
   * Splits secrets out of the signature config, encrypts new ones and keeps stored ones
   * the update did not mention, then proves the result resolves (400 if it cannot verify).
   */
  prepare(
    dto: Pick<CreateInboundEndpointDto, 'signature' | 'timestamp' | 'identity'>,
    stored: Secrets,
    signatureGiven = true,
  ): { signature: Omit<SignatureConfig, 'secret' | 'secondarySecret'>; secrets: Secrets } {
    const { secret, secondarySecret, ...signature } = (dto.signature ?? {
      mode: 'none',
    }) as SignatureConfig;
    const secrets: Secrets = { ...stored };
    if (signatureGiven && secret !== undefined) secrets.secret = this.box.encrypt(secret);
    if (signatureGiven && secondarySecret !== undefined)
      secrets.secondarySecret = this.box.encrypt(secondarySecret);
    try {
      resolveInboundSecurity(
        {
          signature: {
            ...signature,
            secret: secrets.secret ? this.box.decrypt(secrets.secret) : undefined,
            secondarySecret: secrets.secondarySecret
              ? this.box.decrypt(secrets.secondarySecret)
              : undefined,
          },
          timestamp: dto.timestamp,
          identity: dto.identity,
        },
        { requireSecret: true },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new BadRequestException({
        message,
        details: [{ field: securityField(error), problems: [message] }],
      });
    }
    return { signature, secrets };
  }

  handshakeSecrets(given: CreateInboundEndpointDto['handshakes'], secrets: Secrets): Secrets {
    const next = { ...secrets };
    if (given?.meta) next.metaVerifyToken = this.box.encrypt(given.meta.verifyToken);
    if (given?.meta === null) delete next.metaVerifyToken;
    if (given?.zoom) next.zoomSecretToken = this.box.encrypt(given.zoom.secretToken);
    if (given?.zoom === null) delete next.zoomSecretToken;
    return next;
  }
}

export function handshakeFlags(
  given: CreateInboundEndpointDto['handshakes'],
  current: InboundHandshakeSettings,
): InboundHandshakeSettings {
  if (!given) return current;
  return {
    slack: given.slack ?? current.slack ?? false,
    meta: given.meta === null ? false : given.meta !== undefined ? true : (current.meta ?? false),
    zoom: given.zoom === null ? false : given.zoom !== undefined ? true : (current.zoom ?? false),
  };
}

/**
 * The request field a security configuration problem concerns, as the validation pipe names
 * fields (`signature.parts.1.name`, `timestamp.maxAgeSeconds`): core says which setting it
 * could not resolve (`details.field`, `signature.parts[1].name`), so the console can show the
 * message on that input. Anything unnamed stays on `signature`.
 */
function securityField(error: unknown): string {
  const field = error instanceof HookgateError ? error.details?.field : undefined;
  return typeof field === 'string' && field !== ''
    ? field.replace(/\[(\d+)\]/g, '.$1')
    : 'signature';
}
