import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { currentPrincipal } from '../auth/request-context';
import { afterCursor, toPage, type Page } from '../common/pagination';
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

type Row = Record<string, unknown>;
const iso = (value: unknown): string => new Date(value as string).toISOString();

@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async record(
    manager: EntityManager | null,
    principal: AuditActor | null,
    entry: AuditRecord,
  ): Promise<void> {
    const actor = principal ?? currentPrincipal();
    if (!actor) throw new Error(`audit: nobody to attribute "${entry.action}" to`);
    await (manager ?? this.dataSource).query(
      `INSERT INTO audit_entries (tenant_id, api_key_id, actor, action, entity_type, entity_id, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
      [
        actor.tenantId,
        actor.keyId,
        actor.name,
        entry.action,
        entry.entityType,
        entry.entityId,
        jsonOrNull(entry.before),
        jsonOrNull(entry.after),
      ],
    );
  }

  async list(tenantId: string, query: ListAuditQuery): Promise<Page<AuditEntryView>> {
    const limit = query.limit ?? 50;
    const where = ['a.tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (query.entity) add((n) => `a.entity_type = $${n}`, query.entity);
    if (query.entityId) add((n) => `a.entity_id = $${n}`, query.entityId);
    if (query.action) add((n) => `a.action = $${n}`, query.action);
    if (query.from) add((n) => `a.created_at >= $${n}`, toTimestamp(query.from));
    if (query.to) add((n) => `a.created_at < $${n}`, toTimestamp(query.to));
    const after = afterCursor(query.cursor, params, { time: 'a.created_at', id: 'a.id' });
    if (after) where.push(after);
    params.push(limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT a.* FROM audit_entries a
        WHERE ${where.join(' AND ')}
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, limit, toView, (row) => ({ at: iso(row.created_at), id: String(row.id) }));
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(redact(value));
}

function toView(row: Row): AuditEntryView {
  return {
    id: String(row.id),
    apiKeyId: (row.api_key_id as string | null) ?? null,
    actor: String(row.actor),
    action: String(row.action),
    entityType: String(row.entity_type),
    entityId: (row.entity_id as string | null) ?? null,
    before: row.before ?? null,
    after: row.after ?? null,
    createdAt: iso(row.created_at),
  };
}
