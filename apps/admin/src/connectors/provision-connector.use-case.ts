import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { DataSource, type EntityManager } from 'typeorm';
import { writeHandlerRules } from '../handlers/handler-rules';
import {
  resolveInboundSecurity,
  validateRules,
  withRetryDefaults,
  type HandlerRegistry,
  type Rule,
} from '@app/core';
import {
  CONNECTOR_KINDS,
  toRuntime,
  type ConnectorKindRegistry,
  type ConnectorRuntime,
  type HandlerTemplate,
  type InboundEndpointTemplate,
  type OutboundEndpointTemplate,
} from '@app/connectors';
import type { ConfigEntity } from '@app/messaging';
import type { SecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, SECRET_BOX } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import { validationFailure } from '../common/validation';
import { outboundEndpointProblems } from '../outbound-endpoints/outbound-endpoint.validation';

/**
 * `POST /connectors/:id/provision` (SPEC §7): makes the connector's handlers and linked
 * endpoints match its kind's template, idempotently. Rows are found by what links them
 * (handler code `<prefix>-<key>`, endpoint `connector_id` + `code_suffix`) and updated in
 * place, so events, deliveries and attempts keep pointing at them; a second run with the
 * same template and connector changes nothing and says so.
 *
 * Template-owned fields are overwritten; what an operator decides is kept: an endpoint's
 * active/archived state, outbound signing and auth, inbound handshakes. Endpoints the
 * template no longer has are archived (outbound) or deactivated (inbound), never deleted.
 * Everything runs in one transaction under the connector's row lock, with its audit
 * entry: a failure changes nothing, and two provisions of one connector cannot interleave.
 */
export type ProvisionedEntity = 'handler' | 'inbound-endpoint' | 'outbound-endpoint';
export type ProvisionVerb = 'created' | 'updated' | 'unchanged' | 'archived' | 'deactivated';

export interface ProvisionAction {
  entity: ProvisionedEntity;
  id: string;
  /** Handler or outbound endpoint code; the inbound endpoint's path. */
  code: string;
  action: ProvisionVerb;
  /** For `updated`: the fields the template changed. */
  fields?: string[];
}

export interface ProvisionReport {
  connectorId: string;
  kind: string;
  changed: boolean;
  actions: ProvisionAction[];
}

type Row = Record<string, unknown>;

/** jsonb comes back with its own key order and without undefined keys: compare by value. */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}
function normalize(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** Names the fields whose current value differs from the desired one. */
function diff(current: Row, desired: Row): string[] {
  return Object.keys(desired).filter((key) => !same(current[key], desired[key]));
}

@Injectable()
export class ProvisionConnector {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CONNECTOR_KINDS) private readonly kinds: ConnectorKindRegistry,
    @Inject(HANDLER_REGISTRY) private readonly registry: HandlerRegistry,
  ) {}

  async execute(tenantId: string, connectorId: string): Promise<ProvisionReport> {
    requireUuid(connectorId, 'connector');
    const report = await this.dataSource.transaction(async (manager) => {
      const rows: Row[] = await manager.query(
        `SELECT * FROM connectors WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
        [connectorId, tenantId],
      );
      if (!rows[0]) throw new NotFoundException(`connector ${connectorId} not found`);
      const connector = toRuntime(rows[0], this.secrets);
      if (!this.kinds.has(connector.kind)) {
        throw validationFailure([
          {
            field: 'kind',
            problems: [`connector kind "${connector.kind}" is not registered in this build`],
          },
        ]);
      }
      const template = this.kinds.get(connector.kind).template;
      const actions: ProvisionAction[] = [];
      const handlerIds = new Map<string, string>();
      for (const handler of template.handlers ?? []) {
        const action = await this.handler(manager, connector, handler);
        handlerIds.set(handler.key, action.id);
        actions.push(action);
      }
      actions.push(...(await this.inbound(manager, connector, template.inbound, handlerIds)));
      actions.push(
        ...(await this.outbound(manager, connector, template.outbound ?? [], handlerIds)),
      );
      const result: ProvisionReport = {
        connectorId,
        kind: connector.kind,
        changed: actions.some((a) => a.action !== 'unchanged'),
        actions,
      };
      // Audited even when nothing changed: who re-provisioned when is worth knowing.
      await this.audit.record(manager, null, {
        action: 'connector.provision',
        entityType: 'connector',
        entityId: connectorId,
        after: { changed: result.changed, actions: result.actions },
      });
      return result;
    });
    for (const action of report.actions) {
      if (action.action === 'unchanged') continue;
      await this.changes.announce({ entity: action.entity as ConfigEntity, id: action.id });
    }
    return report;
  }

  private async handler(
    manager: EntityManager,
    connector: ConnectorRuntime,
    template: HandlerTemplate,
  ): Promise<ProvisionAction> {
    const code = `${connector.technicalPrefix}-${template.key}`;
    const callback = template.executionMode === 'callback' ? (template.callback ?? null) : null;
    if (callback && !this.registry.has(template.direction, callback)) {
      throw validationFailure([
        {
          field: `template.handlers.${template.key}`,
          problems: [`no ${template.direction} callback "${callback}" is registered`],
        },
      ]);
    }
    const rules = (template.rules ?? []).map(normalizeRule);
    const problems = validateRules(rules, template.direction);
    if (problems.length > 0)
      throw validationFailure([{ field: `template.handlers.${template.key}.rules`, problems }]);
    const desired: Row = {
      name: `${connector.name}: ${template.name}`,
      direction: template.direction,
      execution_mode: template.executionMode,
      callback,
      max_retries: template.maxRetries ?? 5,
      active: true,
      rules,
    };
    const existing: Row[] = await manager.query(
      `SELECT h.*, COALESCE((SELECT json_agg(json_build_object(
                'sequence', r.sequence, 'name', r.name, 'conditions', r.conditions, 'action', r.action,
                'retrySeconds', r.retry_seconds, 'targetModel', r.target_model, 'lookups', r.lookups,
                'assignments', r.assignments, 'forwardTo', r.forward_to) ORDER BY r.sequence)
              FROM handler_rules r WHERE r.handler_id = h.id), '[]') AS rules
         FROM handlers h WHERE h.tenant_id = $1 AND h.code = $2`,
      [connector.tenantId, code],
    );
    const current = existing[0];
    if (current) {
      current.rules = (current.rules as Rule[]).map(normalizeRule);
      if (current.direction !== template.direction) {
        throw validationFailure([
          {
            field: `template.handlers.${template.key}`,
            problems: [`handler "${code}" exists with direction ${String(current.direction)}`],
          },
        ]);
      }
      const fields = diff(current, desired);
      if (fields.length === 0)
        return { entity: 'handler', id: String(current.id), code, action: 'unchanged' };
      await manager.query(
        `UPDATE handlers SET name = $2, execution_mode = $3, callback = $4, max_retries = $5, active = true,
                updated_at = now() WHERE id = $1`,
        [current.id, desired.name, desired.execution_mode, callback, desired.max_retries],
      );
      if (fields.includes('rules'))
        await writeHandlerRules(manager, String(current.id), rules, { replace: true });
      return { entity: 'handler', id: String(current.id), code, action: 'updated', fields };
    }
    const [row]: Array<{ id: string }> = await manager.query(
      `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode, callback, active, max_retries)
       VALUES ($1, $2, $3, $4, $5, $6, true, $7) RETURNING id`,
      [
        connector.tenantId,
        code,
        desired.name,
        template.direction,
        template.executionMode,
        callback,
        desired.max_retries,
      ],
    );
    await writeHandlerRules(manager, row.id, rules, { replace: false });
    return { entity: 'handler', id: row.id, code, action: 'created' };
  }

  private async inbound(
    manager: EntityManager,
    connector: ConnectorRuntime,
    template: InboundEndpointTemplate | undefined,
    handlerIds: Map<string, string>,
  ): Promise<ProvisionAction[]> {
    const existing: Row[] = await manager.query(
      `SELECT * FROM inbound_endpoints WHERE connector_id = $1`,
      [connector.id],
    );
    const current = existing[0];
    if (!template) {
      if (!current || !current.active) return [];
      await manager.query(
        `UPDATE inbound_endpoints SET active = false, updated_at = now() WHERE id = $1`,
        [current.id],
      );
      return [
        {
          entity: 'inbound-endpoint',
          id: String(current.id),
          code: String(current.path),
          action: 'deactivated',
        },
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
    const desired: Row = {
      name: `${connector.name}: ${template.name}`,
      path,
      code_suffix: template.suffix,
      handler_id: handlerIds.get(template.handler),
      signature: template.signature,
      identity: template.identity ?? {},
      timestamp: template.timestamp ?? null,
      semantic_bindings: template.semanticBindings ?? [],
      max_body_bytes: template.maxBodyBytes ?? 1048576,
    };
    const conflict = `an inbound endpoint with path "${path}" already exists`;
    if (current) {
      const secrets = { ...((current.secrets as Record<string, string> | null) ?? {}) };
      const storedSecret = secrets.secret ? this.secrets.decrypt(secrets.secret) : undefined;
      const fields = diff(current, desired);
      if (storedSecret !== secret) fields.push('secret');
      if (fields.length === 0) {
        return [
          { entity: 'inbound-endpoint', id: String(current.id), code: path, action: 'unchanged' },
        ];
      }
      if (secret === undefined) delete secrets.secret;
      else if (storedSecret !== secret) secrets.secret = this.secrets.encrypt(secret);
      await conflictOnDuplicate(
        () =>
          manager.query(
            `UPDATE inbound_endpoints
                SET name = $2, path = $3, code_suffix = $4, handler_id = $5, signature = $6, identity = $7,
                    timestamp = $8, semantic_bindings = $9, max_body_bytes = $10, secrets = $11, updated_at = now()
              WHERE id = $1`,
            [current.id, ...inboundParams(desired), secrets],
          ),
        conflict,
      );
      return [
        {
          entity: 'inbound-endpoint',
          id: String(current.id),
          code: path,
          action: 'updated',
          fields,
        },
      ];
    }
    const [row]: Array<{ id: string }> = await conflictOnDuplicate(
      () =>
        manager.query(
          `INSERT INTO inbound_endpoints (tenant_id, connector_id, name, path, code_suffix, handler_id, signature,
                                          identity, timestamp, semantic_bindings, max_body_bytes, secrets, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, true) RETURNING id`,
          [
            connector.tenantId,
            connector.id,
            ...inboundParams(desired),
            secret === undefined ? {} : { secret: this.secrets.encrypt(secret) },
          ],
        ),
      conflict,
    );
    return [{ entity: 'inbound-endpoint', id: row.id, code: path, action: 'created' }];
  }

  private async outbound(
    manager: EntityManager,
    connector: ConnectorRuntime,
    templates: OutboundEndpointTemplate[],
    handlerIds: Map<string, string>,
  ): Promise<ProvisionAction[]> {
    const existing: Row[] = await manager.query(
      `SELECT * FROM outbound_endpoints WHERE connector_id = $1`,
      [connector.id],
    );
    const actions: ProvisionAction[] = [];
    for (const template of templates) {
      const code = `${connector.technicalPrefix}-${template.suffix}`;
      const desired: Row = {
        code,
        name: `${connector.name}: ${template.name}`,
        method: template.method ?? 'POST',
        body_mode: template.bodyMode ?? 'json',
        target_host: template.targetHost ?? '',
        target_path: template.targetPath ?? '',
        timeout_ms: template.timeoutMs ?? 10_000,
        handler_id: template.handler ? (handlerIds.get(template.handler) ?? null) : null,
        header_rules: template.headerRules ?? [],
        payload_rules: template.payloadRules ?? [],
        replace_payload: template.replacePayload ?? false,
        event_types: template.eventTypes ?? [],
        retry_policy: withRetryDefaults(template.retryPolicy ?? {}),
      };
      const problems = outboundEndpointProblems({
        targetHost: String(desired.target_host),
        targetPath: String(desired.target_path),
        linked: true,
        headerRules: template.headerRules ?? [],
        payloadRules: template.payloadRules ?? [],
        eventTypes: template.eventTypes ?? [],
        signing: { type: 'none' },
        auth: { type: 'none' },
        retryPolicy: desired.retry_policy as ReturnType<typeof withRetryDefaults>,
      });
      if (problems.length > 0) {
        throw validationFailure(
          problems.map((p) => ({ ...p, field: `template.outbound.${template.suffix}.${p.field}` })),
        );
      }
      const conflict = `an outbound endpoint with code "${code}" already exists`;
      const current = existing.find((row) => row.code_suffix === template.suffix);
      if (current) {
        const fields = diff(current, desired);
        if (fields.length === 0) {
          actions.push({
            entity: 'outbound-endpoint',
            id: String(current.id),
            code,
            action: 'unchanged',
          });
          continue;
        }
        await conflictOnDuplicate(
          () =>
            manager.query(
              `UPDATE outbound_endpoints
                  SET code = $2, name = $3, method = $4, body_mode = $5, target_host = $6, target_path = $7,
                      timeout_ms = $8, handler_id = $9, header_rules = $10, payload_rules = $11,
                      replace_payload = $12, event_types = $13, retry_policy = $14, updated_at = now()
                WHERE id = $1`,
              [current.id, ...outboundParams(desired)],
            ),
          conflict,
        );
        actions.push({
          entity: 'outbound-endpoint',
          id: String(current.id),
          code,
          action: 'updated',
          fields,
        });
        continue;
      }
      const [row]: Array<{ id: string }> = await conflictOnDuplicate(
        () =>
          manager.query(
            `INSERT INTO outbound_endpoints (tenant_id, connector_id, code_suffix, code, name, method, body_mode,
                                             target_host, target_path, timeout_ms, handler_id, header_rules,
                                             payload_rules, replace_payload, event_types, retry_policy, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'active')
             RETURNING id`,
            [connector.tenantId, connector.id, template.suffix, ...outboundParams(desired)],
          ),
        conflict,
      );
      actions.push({ entity: 'outbound-endpoint', id: row.id, code, action: 'created' });
    }
    const kept = new Set(templates.map((t) => t.suffix));
    for (const stale of existing) {
      if (kept.has(String(stale.code_suffix)) || stale.state === 'archived') continue;
      await manager.query(
        `UPDATE outbound_endpoints SET state = 'archived', updated_at = now() WHERE id = $1`,
        [stale.id],
      );
      // Archived endpoints accept no deliveries: the ones it held are dead-lettered, as on archive.
      await manager.query(
        `UPDATE deliveries
            SET state = 'dead_letter', last_error = $2, next_attempt_at = NULL, completed_at = now(), updated_at = now()
          WHERE endpoint_id = $1 AND state IN ('draft', 'queued')`,
        [stale.id, `outbound endpoint "${String(stale.code)}" left its connector's template`],
      );
      actions.push({
        entity: 'outbound-endpoint',
        id: String(stale.id),
        code: String(stale.code),
        action: 'archived',
      });
    }
    return actions;
  }
}

/** Rules as stored and compared: list fields present, empty optional fields absent. */
function normalizeRule(rule: Rule): Rule {
  const full = {
    ...rule,
    conditions: rule.conditions ?? [],
    lookups: rule.lookups ?? [],
    assignments: rule.assignments ?? [],
  };
  return Object.fromEntries(
    Object.entries(full).filter(([, v]) => v !== null && v !== undefined),
  ) as unknown as Rule;
}

function inboundParams(desired: Row): unknown[] {
  return [
    desired.name,
    desired.path,
    desired.code_suffix,
    desired.handler_id,
    desired.signature,
    desired.identity,
    desired.timestamp,
    JSON.stringify(desired.semantic_bindings),
    desired.max_body_bytes,
  ];
}

function outboundParams(desired: Row): unknown[] {
  return [
    desired.code,
    desired.name,
    desired.method,
    desired.body_mode,
    desired.target_host,
    desired.target_path,
    desired.timeout_ms,
    desired.handler_id,
    JSON.stringify(desired.header_rules),
    JSON.stringify(desired.payload_rules),
    desired.replace_payload,
    desired.event_types,
    desired.retry_policy,
  ];
}
