import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboundEndpointsRepository, withSigningSecret } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { problemsByField, validationFailure } from '../common/validation';
import { OutboundEndpointSecrets } from './outbound-endpoint-secrets';
import { signingProblems } from './outbound-endpoint.validation';
import { toOutboundEndpointView } from './outbound-endpoint.view';
import {
  DEFAULT_OVERLAP_SECONDS,
  type RotateSigningSecretDto,
  type RotatedSigningSecretView,
} from './rotate-signing-secret.dto';

/**
 * Rotates an outbound endpoint's signing secret (issue 26 item 4). The new secret signs at
 * once; the old one keeps signing beside it for `overlapSeconds`, so receivers can move to
 * the new secret at their own pace. The dispatcher stops using the old secret at the expiry
 * (the signer checks it per request) and the retention pass deletes it afterwards.
 *
 * Audited without the secrets; the change is announced so dispatchers drop their cached
 * endpoint at once instead of signing with the old configuration until the cache expires.
 */
@Injectable()
export class RotateOutboundSigningSecret {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: OutboundEndpointsRepository,
    private readonly secrets: OutboundEndpointSecrets,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
  ) {}

  async execute(
    tenantId: string,
    id: string,
    dto: RotateSigningSecretDto,
    now = new Date(),
  ): Promise<RotatedSigningSecretView> {
    requireUuid(id, 'outbound endpoint');
    const overlapSeconds = dto.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    const result = await this.dataSource.transaction(async (manager) => {
      const endpoints = this.endpoints.in(manager);
      const current = await endpoints.findOwned(tenantId, id, { lock: true });
      if (!current) throw new NotFoundException(`outbound endpoint ${id} not found`);
      const signing = current.signing ?? { type: 'none' };
      if (signing.type === 'none') {
        throw new ConflictException({
          message: 'the endpoint does not sign its requests: there is no secret to rotate',
          details: { signing: 'none' },
        });
      }
      if (signing.type === 'hmac' && !signing.timestamped && overlapSeconds > 0) {
        throw validationFailure([
          {
            field: 'overlapSeconds',
            problems: [
              'plain hmac signing holds one signature per header, so the old secret cannot ' +
                'sign beside the new one: rotate with overlapSeconds 0 once the receivers ' +
                'accept the new secret (or use timestamped hmac, which holds several)',
            ],
          },
        ]);
      }
      const rotated = this.secrets.rotateSigning(current, dto.secret, overlapSeconds, now);
      // Only the new secret can be wrong (the old one was checked when it was stored).
      const problems = signingProblems(withSigningSecret(rotated.signing, rotated.secret))
        .filter(([, problem]) => problem !== null)
        .map(([field, problem]) => ({
          field: field === 'signing.secret' ? 'secret' : field,
          problem: problem!,
        }));
      if (problems.length > 0) throw validationFailure(problemsByField(problems));
      const updated = await endpoints.update(tenantId, id, {
        signing: rotated.signing,
        secrets: rotated.secrets,
      });
      const endpoint = toOutboundEndpointView(updated!);
      await this.audit.record(manager, null, {
        action: 'outbound-endpoint.rotate-secret',
        entityType: 'outbound-endpoint',
        entityId: id,
        before: toOutboundEndpointView(current),
        after: { ...endpoint, overlapSeconds, generated: dto.secret === undefined },
      });
      return {
        endpoint,
        secret: rotated.secret,
        previousSecretExpiresAt: rotated.previousSecretExpiresAt,
      };
    });
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    return result;
  }
}
