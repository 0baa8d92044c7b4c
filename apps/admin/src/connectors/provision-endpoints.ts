import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { resolveInboundSecurity, withRetryDefaults } from '@app/core';
import type {
  ConnectorRuntime,
  InboundEndpointTemplate,
  OutboundEndpointTemplate,
} from '@app/connectors';
import {
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
  type SecretBox,
} from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import { conflictOnDuplicate } from '../common/pg-errors';
import { validationFailure } from '../common/validation';
import { ArchiveOutboundEndpoint } from '../outbound-endpoints/archive-outbound-endpoint.use-case';
import { outboundEndpointProblems } from '../outbound-endpoints/outbound-endpoint.validation';
import { changedFields, type ProvisionAction } from './provision-report';

/**
 * The endpoint half of provisioning a connector (see ProvisionConnector), in its
 * transaction: the inbound endpoint and the outbound endpoints its kind's template names,
 * found by `connector_id` + `code_suffix`.
 */
@Injectable()
export class ProvisionEndpoints {
  constructor(
    private readonly inboundEndpoints: InboundEndpointsRepository,
    private readonly outboundEndpoints: OutboundEndpointsRepository,
    private readonly archive: ArchiveOutboundEndpoint,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async inbound(
    manager: EntityManager,
    connector: ConnectorRuntime,
    template: InboundEndpointTemplate | undefined,
    handlerIds: Map<string, string>,
  ): Promise<ProvisionAction[]> {
    const endpoints = this.inboundEndpoints.in(manager);
    const [current] = await endpoints.findByConnector(connector.id);
    if (!template) {
      if (!current || !current.active) return [];
      await endpoints.update(current.id, { active: false });
      return [
        { entity: 'inbound-endpoint', id: current.id, code: current.path, action: 'deactivated' },
      ];
    }
    const secret = template.secretCredential
      ? connector.credentials[template.secretCredential]
      : undefined;
    if (template.secretCredential && !secret) {
      throw validationFailure([
        {
          field: `credentials.${template.secretCredential}`,
          problems: [
            `the connector needs the ${template.secretCredential} credential: its inbound endpoint verifies signatures with it`,
          ],
        },
      ]);
    }
    try {
      resolveInboundSecurity(
        {
          signature: { ...template.signature, secret },
          timestamp: template.timestamp,
          identity: template.identity,
        },
        { requireSecret: true },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new BadRequestException({
        message: `the kind's inbound template does not verify: ${message}`,
        details: [{ field: 'template.inbound.signature', problems: [message] }],
      });
    }
    const path = `${connector.technicalPrefix}-${template.suffix}`;
    const desired = {
      name: `${connector.name}: ${template.name}`,
      path,
      codeSuffix: template.suffix,
      handlerId: handlerIds.get(template.handler)!,
      signature: template.signature,
      identity: template.identity ?? {},
      timestamp: template.timestamp ?? null,
      semanticBindings: template.semanticBindings ?? [],
      maxBodyBytes: template.maxBodyBytes ?? 1048576,
    };
    const conflict = `an inbound endpoint with path "${path}" already exists`;
    if (current) {
      const secrets = { ...(current.secrets ?? {}) };
      const storedSecret = secrets.secret ? this.secrets.decrypt(secrets.secret) : undefined;
      const fields = changedFields(current, desired);
      if (storedSecret !== secret) fields.push('secret');
      if (fields.length === 0) {
        return [{ entity: 'inbound-endpoint', id: current.id, code: path, action: 'unchanged' }];
      }
      if (secret === undefined) delete secrets.secret;
      else if (storedSecret !== secret) secrets.secret = this.secrets.encrypt(secret);
      await conflictOnDuplicate(
        () => endpoints.update(current.id, { ...desired, secrets }),
        conflict,
      );
      return [
        { entity: 'inbound-endpoint', id: current.id, code: path, action: 'updated', fields },
      ];
    }
    const created = await conflictOnDuplicate(
      () =>
        endpoints.insert({
          tenantId: connector.tenantId,
          connectorId: connector.id,
          ...desired,
          secrets: secret === undefined ? {} : { secret: this.secrets.encrypt(secret) },
          active: true,
        }),
      conflict,
    );
    return [{ entity: 'inbound-endpoint', id: created.id, code: path, action: 'created' }];
  }

  async outbound(
    manager: EntityManager,
    connector: ConnectorRuntime,
    templates: OutboundEndpointTemplate[],
    handlerIds: Map<string, string>,
  ): Promise<ProvisionAction[]> {
    const endpoints = this.outboundEndpoints.in(manager);
    const existing = await endpoints.findByConnector(connector.id);
    const actions: ProvisionAction[] = [];
    for (const template of templates) {
      const code = `${connector.technicalPrefix}-${template.suffix}`;
      const desired = {
        code,
        name: `${connector.name}: ${template.name}`,
        method: template.method ?? 'POST',
        bodyMode: template.bodyMode ?? 'json',
        targetHost: template.targetHost ?? '',
        targetPath: template.targetPath ?? '',
        timeoutMs: template.timeoutMs ?? 10_000,
        handlerId: template.handler ? (handlerIds.get(template.handler) ?? null) : null,
        headerRules: template.headerRules ?? [],
        payloadRules: template.payloadRules ?? [],
        replacePayload: template.replacePayload ?? false,
        eventTypes: template.eventTypes ?? [],
        retryPolicy: withRetryDefaults(template.retryPolicy ?? {}),
      };
      const problems = outboundEndpointProblems({
        method: desired.method,
        bodyMode: desired.bodyMode,
        targetHost: desired.targetHost,
        targetPath: desired.targetPath,
        linked: true,
        headerRules: desired.headerRules,
        payloadRules: desired.payloadRules,
        replacePayload: desired.replacePayload,
        queryRules: [],
        eventTypes: desired.eventTypes,
        signing: { type: 'none' },
        auth: { type: 'none' },
        retryPolicy: desired.retryPolicy,
      });
      if (problems.length > 0) {
        throw validationFailure(
          problems.map((p) => ({ ...p, field: `template.outbound.${template.suffix}.${p.field}` })),
        );
      }
      const conflict = `an outbound endpoint with code "${code}" already exists`;
      const current = existing.find((row) => row.codeSuffix === template.suffix);
      if (current) {
        const fields = changedFields(current, desired);
        const action = fields.length === 0 ? 'unchanged' : 'updated';
        if (action === 'updated') {
          await conflictOnDuplicate(
            () => endpoints.update(connector.tenantId, current.id, desired),
            conflict,
          );
        }
        actions.push({
          entity: 'outbound-endpoint',
          id: current.id,
          code,
          action,
          ...(action === 'updated' ? { fields } : {}),
        });
        continue;
      }
      const created = await conflictOnDuplicate(
        () =>
          endpoints.insert({
            tenantId: connector.tenantId,
            connectorId: connector.id,
            codeSuffix: template.suffix,
            ...desired,
            state: 'active',
          }),
        conflict,
      );
      actions.push({ entity: 'outbound-endpoint', id: created.id, code, action: 'created' });
    }
    const kept = new Set(templates.map((t) => t.suffix));
    for (const stale of existing) {
      if (kept.has(String(stale.codeSuffix)) || stale.state === 'archived') continue;
      await this.archive.within(
        manager,
        connector.tenantId,
        stale.id,
        `outbound endpoint "${stale.code}" left its connector's template`,
      );
      actions.push({
        entity: 'outbound-endpoint',
        id: stale.id,
        code: stale.code,
        action: 'archived',
      });
    }
    return actions;
  }
}
