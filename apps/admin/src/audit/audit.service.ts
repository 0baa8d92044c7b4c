import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditRepository, type AuditEntryEntity } from '@app/persistence';
import { currentPrincipal } from '../auth/request-context';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { toTimestamp } from '../common/validation';
import type { ListAuditQuery } from './audit.dto';
import { redact } from './redact';

/**
 * The audit log (SPEC §8): every configuration change and operator action, with the key
 * that acted, the action (`handler.create`, `delivery.cancel`, …), the entity and
 * redacted before/after snapshots. Callers pass the transaction's EntityManager so the
 * entry commits or rolls back with the change it describes.
 *
 *   await this.audit.record(manager, principal, {
 *     action: 'connector.update', entityType: 'connector', entityId: id, before, after,
 *   });
 *
 * `principal` may be null inside an admin request: the caller of the request is used
 * (ApiKeyGuard + RequestContextInterceptor). Snapshots should be the API views (which
 * hold no secrets); redaction here is the second line of defence.
 */
export interface AuditActor {
  tenantId: string;
  /** The API key that acted; null for the system (scripts, jobs). */
  keyId: string | null;
  /** Readable without a join: the key's name, or `system`. */
  name: string;
}

export interface AuditRecord {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntryView {
  id: string;
  apiKeyId: string | null;
  actor: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
}

@Injectable()
export class AuditService {
  constructor(private readonly entries: AuditRepository) {}

  async record(
    manager: EntityManager | null,
    principal: AuditActor | null,
    entry: AuditRecord,
  ): Promise<void> {
    const actor = principal ?? currentPrincipal();
    if (!actor) throw new Error(`audit: nobody to attribute "${entry.action}" to`);
    await this.entries.in(manager).insert({
      tenantId: actor.tenantId,
      apiKeyId: actor.keyId,
      actor: actor.name,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: snapshot(entry.before),
      after: snapshot(entry.after),
    });
  }

  async list(tenantId: string, query: ListAuditQuery): Promise<Page<AuditEntryView>> {
    const limit = query.limit ?? 50;
    const rows = await this.entries.list(
      tenantId,
      {
        entityType: query.entity || undefined,
        entityId: query.entityId || undefined,
        action: query.action || undefined,
        from: (query.from && toTimestamp(query.from)) || undefined,
        to: (query.to && toTimestamp(query.to)) || undefined,
      },
      { after: decodeCursor(query.cursor), limit },
    );
    return toPage(rows, limit, toView, (row) => ({ at: row.createdAt.toISOString(), id: row.id }));
  }
}

/** What a snapshot stores: redacted, and null when there is none. */
function snapshot(value: unknown): unknown {
  return value === undefined || value === null ? null : redact(value);
}

function toView(row: AuditEntryEntity): AuditEntryView {
  return {
    id: row.id,
    apiKeyId: row.apiKeyId ?? null,
    actor: row.actor,
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId ?? null,
    before: row.before ?? null,
    after: row.after ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
