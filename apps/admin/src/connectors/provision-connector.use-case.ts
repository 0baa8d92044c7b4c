import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { validateRules, type HandlerRegistry, type Rule } from '@app/core';
import {
  CONNECTOR_KINDS,
  toRuntime,
  type ConnectorKindRegistry,
  type ConnectorRuntime,
  type HandlerTemplate,
} from '@app/connectors';
import type { ConfigEntity } from '@app/messaging';
import { ConnectorsRepository, HandlersRepository, ruleOf, type SecretBox } from '@app/persistence';
import { HANDLER_REGISTRY, SECRET_BOX } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { validationFailure } from '../common/validation';
import { SaveHandler } from '../handlers/save-handler.use-case';
import { ProvisionEndpoints } from './provision-endpoints';
import { changedFields, type ProvisionAction, type ProvisionReport } from './provision-report';

export type {
  ProvisionAction,
  ProvisionedEntity,
  ProvisionReport,
  ProvisionVerb,
} from './provision-report';

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
 * The writes are the ones the handlers and endpoints APIs make (SaveHandler, the
 * endpoint repositories, ArchiveOutboundEndpoint).
 */
@Injectable()
export class ProvisionConnector {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connectors: ConnectorsRepository,
    private readonly handlers: HandlersRepository,
    private readonly saveHandler: SaveHandler,
    private readonly endpoints: ProvisionEndpoints,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CONNECTOR_KINDS) private readonly kinds: ConnectorKindRegistry,
    @Inject(HANDLER_REGISTRY) private readonly registry: HandlerRegistry,
  ) {}

  async execute(tenantId: string, connectorId: string): Promise<ProvisionReport> {
    requireUuid(connectorId, 'connector');
    const report = await this.dataSource.transaction(async (manager) => {
      const row = await this.connectors
        .in(manager)
        .findOwned(tenantId, connectorId, { lock: true });
      if (!row) throw new NotFoundException(`connector ${connectorId} not found`);
      const connector = toRuntime(row, this.secrets);
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
      actions.push(
        ...(await this.endpoints.inbound(manager, connector, template.inbound, handlerIds)),
      );
      actions.push(
        ...(await this.endpoints.outbound(manager, connector, template.outbound ?? [], handlerIds)),
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
    const fields = {
      name: `${connector.name}: ${template.name}`,
      executionMode: template.executionMode,
      callback,
      maxRetries: template.maxRetries ?? 5,
      active: true,
    };
    const current = await this.handlers.in(manager).findOneWithRules(connector.tenantId, { code });
    const save = { tenantId: connector.tenantId, code, direction: template.direction, fields };
    if (!current) {
      const id = await this.saveHandler.execute(manager, { ...save, rules });
      return { entity: 'handler', id, code, action: 'created' };
    }
    if (current.direction !== template.direction) {
      throw validationFailure([
        {
          field: `template.handlers.${template.key}`,
          problems: [`handler "${code}" exists with direction ${current.direction}`],
        },
      ]);
    }
    const changed = changedFields(
      { ...current, rules: current.rules.map((rule) => normalizeRule(ruleOf(rule))) },
      { ...fields, direction: template.direction, rules },
    );
    if (changed.length === 0)
      return { entity: 'handler', id: current.id, code, action: 'unchanged' };
    await this.saveHandler.execute(manager, {
      ...save,
      id: current.id,
      rules: changed.includes('rules') ? rules : undefined,
    });
    return { entity: 'handler', id: current.id, code, action: 'updated', fields: changed };
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
