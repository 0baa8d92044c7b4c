import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  redactHeaderRules,
  REDACTED,
  isSensitiveHeaderName,
  withRetryDefaults,
  type EndpointAuth,
  type HeaderRule,
  type OutboundSigningConfig,
  type PayloadRule,
  type RetryPolicy,
} from '@app/core';
import {
  withAuthSecret,
  withSigningSecret,
  type OutboundEndpointState,
  type SecretBox,
  type StoredEndpointAuth,
  type StoredOutboundSigning,
} from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { afterCursor, toPage, type Page } from '../common/pagination';
import { conflictOnDuplicate, rowsOf } from '../common/pg-errors';
import type { Queryable } from '../common/queryable';
import { validationFailure } from '../common/validation';
import { DeliveriesService, type DeliveryView } from '../deliveries/deliveries.service';
import { HandlersService } from '../handlers/handlers.service';
import type {
  AuthDto,
  CreateOutboundEndpointDto,
  ListOutboundEndpointsQuery,
  SigningDto,
  TestDeliveryDto,
  UpdateOutboundEndpointDto,
} from './outbound-endpoint.dto';
import { outboundEndpointProblems } from './outbound-endpoint.validation';

/**
 * Outbound endpoints (SPEC §5, §11). Secrets are sealed with the SecretBox under the names
 * the dispatcher reads (`signingSecret`, `authSecret`), kept when an update omits them
 * (unless the signing or auth type changes), and never answered: reads say `secretSet`.
 *
 * State moves only through activate (draft, or active but disabled by health → active,
 * releasing the deliveries it held) and archive (→ archived, dead-lettering what it held).
 * Every change and test send is audited, in the change's transaction.
 */
export interface OutboundEndpointView {
  id: string;
  code: string;
  name: string;
  state: OutboundEndpointState;
  method: string;
  bodyMode: string;
  targetHost: string;
  targetPath: string;
  timeoutMs: number;
  handlerId: string | null;
  headerRules: HeaderRule[];
  payloadRules: PayloadRule[];
  replacePayload: boolean;
  eventTypes: string[];
  signing: StoredOutboundSigning & { secretSet?: boolean };
  auth: StoredEndpointAuth & { secretSet?: boolean };
  retryPolicy: RetryPolicy;
  rateLimitPerSecond: number | null;
  health: { disableAfterFailures: number | null; disableAfterSeconds: number | null };
  consecutiveFailures: number;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  connectorId: string | null;
  codeSuffix: string | null;
  createdAt: string;
  updatedAt: string;
}

type Row = Record<string, unknown>;
type Secrets = Record<string, string>;

const SIGNING_SECRET = 'signingSecret';
const AUTH_SECRET = 'authSecret';
const iso = (value: unknown): string | null =>
  value ? new Date(value as string).toISOString() : null;

@Injectable()
export class OutboundEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly handlers: HandlersService,
    private readonly deliveries: DeliveriesService,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async list(
    tenantId: string,
    query: ListOutboundEndpointsQuery,
  ): Promise<Page<OutboundEndpointView>> {
    const limit = query.limit ?? 50;
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    if (query.state) {
      params.push(query.state);
      where.push(`state = $${params.length}`);
    }
    const after = afterCursor(query.cursor, params, { time: 'created_at', id: 'id' });
    if (after) where.push(after);
    params.push(limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM outbound_endpoints WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, limit, toView, (row) => ({ at: iso(row.created_at)!, id: String(row.id) }));
  }

  async get(tenantId: string, id: string): Promise<OutboundEndpointView> {
    return toView(await this.row(tenantId, id));
  }

  async create(tenantId: string, dto: CreateOutboundEndpointDto): Promise<OutboundEndpointView> {
    const handlerId = await this.checkHandler(tenantId, dto.handler ?? dto.handlerId ?? null);
    const security = this.prepareSecurity(dto, null);
    const retryPolicy = withRetryDefaults(withoutUndefined(dto.retryPolicy ?? {}));
    this.validate(dto, { linked: false, retryPolicy, security });
    const row = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const [inserted]: Row[] = await manager.query(
            `INSERT INTO outbound_endpoints (tenant_id, code, name, state, method, body_mode, target_host, target_path,
                                           timeout_ms, handler_id, header_rules, payload_rules, replace_payload,
                                           event_types, signing, auth, secrets, retry_policy, rate_limit_per_second, health)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
           RETURNING *`,
            [
              tenantId,
              dto.code,
              dto.name,
              dto.state ?? 'draft',
              dto.method ?? 'POST',
              dto.bodyMode ?? 'json',
              dto.targetHost,
              dto.targetPath ?? '',
              dto.timeoutMs ?? 10_000,
              handlerId,
              JSON.stringify(dto.headerRules ?? []),
              JSON.stringify(dto.payloadRules ?? []),
              dto.replacePayload ?? false,
              dto.eventTypes ?? [],
              security.signing,
              security.auth,
              security.secrets,
              retryPolicy,
              dto.rateLimitPerSecond ?? null,
              healthSettings(dto.health, {}),
            ],
          );
          await this.audit.record(manager, null, {
            action: 'outbound-endpoint.create',
            entityType: 'outbound-endpoint',
            entityId: String(inserted.id),
            after: toView(inserted),
          });
          return inserted;
        }),
      `an outbound endpoint with code "${dto.code}" already exists`,
    );
    const id = String(row.id);
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    return this.get(tenantId, id);
  }

  async update(
    tenantId: string,
    id: string,
    dto: UpdateOutboundEndpointDto,
  ): Promise<OutboundEndpointView> {
    const current = await this.row(tenantId, id);
    const linked = current.connector_id !== null && current.connector_id !== undefined;
    if (linked && dto.code !== undefined && dto.code !== current.code) {
      throw new ConflictException({
        message:
          'the code of a connector-linked endpoint is <prefix>-<suffix>; it cannot be edited',
        details: { code: current.code, connectorId: current.connector_id },
      });
    }
    const handlerRef = dto.handler !== undefined ? dto.handler : dto.handlerId;
    const handlerId =
      handlerRef === undefined
        ? ((current.handler_id as string | null) ?? null)
        : await this.checkHandler(tenantId, handlerRef);
    const security = this.prepareSecurity(dto, current);
    // Nested like the rest of PUT: the fields a partial retryPolicy omits are kept.
    const retryPolicy = withRetryDefaults({
      ...(current.retry_policy as Partial<RetryPolicy> | null),
      ...withoutUndefined(dto.retryPolicy ?? {}),
    });
    const merged = {
      code: dto.code ?? String(current.code),
      name: dto.name ?? String(current.name),
      method: dto.method ?? String(current.method),
      bodyMode: dto.bodyMode ?? String(current.body_mode),
      targetHost: dto.targetHost ?? String(current.target_host),
      targetPath: dto.targetPath ?? String(current.target_path),
      timeoutMs: dto.timeoutMs ?? Number(current.timeout_ms),
      headerRules: dto.headerRules
        ? keepRedactedValues(dto.headerRules, current.header_rules as HeaderRule[] | null)
        : (current.header_rules as HeaderRule[]),
      payloadRules: dto.payloadRules ?? (current.payload_rules as PayloadRule[]),
      replacePayload: dto.replacePayload ?? Boolean(current.replace_payload),
      eventTypes: dto.eventTypes ?? (current.event_types as string[]),
      rateLimitPerSecond:
        dto.rateLimitPerSecond === undefined
          ? ((current.rate_limit_per_second as number | null) ?? null)
          : dto.rateLimitPerSecond,
    };
    this.validate(merged, { linked, retryPolicy, security });
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const before = toView(await this.row(tenantId, id, manager, { lock: true }));
          const [updated] = rowsOf<Row>(
            await manager.query(
              `UPDATE outbound_endpoints
              SET code = $3, name = $4, method = $5, body_mode = $6, target_host = $7, target_path = $8,
                  timeout_ms = $9, handler_id = $10, header_rules = $11, payload_rules = $12, replace_payload = $13,
                  event_types = $14, signing = $15, auth = $16, secrets = $17, retry_policy = $18,
                  rate_limit_per_second = $19, health = $20, updated_at = now()
            WHERE id = $1 AND tenant_id = $2
            RETURNING *`,
              [
                id,
                tenantId,
                merged.code,
                merged.name,
                merged.method,
                merged.bodyMode,
                merged.targetHost,
                merged.targetPath,
                merged.timeoutMs,
                handlerId,
                JSON.stringify(merged.headerRules),
                JSON.stringify(merged.payloadRules),
                merged.replacePayload,
                merged.eventTypes,
                security.signing,
                security.auth,
                security.secrets,
                retryPolicy,
                merged.rateLimitPerSecond,
                healthSettings(dto.health, (current.health as Row | null) ?? {}),
              ],
            ),
          );
          await this.audit.record(manager, null, {
            action: 'outbound-endpoint.update',
            entityType: 'outbound-endpoint',
            entityId: id,
            before,
            after: toView(updated),
          });
        }),
      `an outbound endpoint with code "${merged.code}" already exists`,
    );
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    return this.get(tenantId, id);
  }

  /**
   * draft → active, or re-enables an active endpoint that health checks disabled. The
   * deliveries it held in `draft` are queued in the same transaction, then enqueued.
   */
  async activate(tenantId: string, id: string): Promise<OutboundEndpointView> {
    const released = await this.dataSource.transaction(async (manager) => {
      const before = await this.row(tenantId, id, manager, { lock: true, missing: null });
      const updated = rowsOf<Row>(
        await manager.query(
          `UPDATE outbound_endpoints
              SET state = 'active', disabled_at = NULL, disabled_reason = NULL, consecutive_failures = 0,
                  failing_since = NULL, updated_at = now()
            WHERE id = $1 AND tenant_id = $2 AND (state = 'draft' OR (state = 'active' AND disabled_at IS NOT NULL))
            RETURNING *`,
          [requireUuid(id, 'outbound endpoint'), tenantId],
        ),
      );
      if (updated.length === 0 || !before) return null;
      const deliveries = rowsOf<{ id: string; attempts: number }>(
        await manager.query(
          `UPDATE deliveries SET state = 'queued', next_attempt_at = now(), updated_at = now()
            WHERE endpoint_id = $1 AND state = 'draft'
            RETURNING id, attempts`,
          [id],
        ),
      );
      await this.audit.record(manager, null, {
        action: 'outbound-endpoint.activate',
        entityType: 'outbound-endpoint',
        entityId: id,
        before: toView(before),
        after: { ...toView(updated[0]), releasedDeliveries: deliveries.length },
      });
      return deliveries;
    });
    if (released === null) {
      const current = await this.row(tenantId, id);
      throw new ConflictException({
        message:
          current.state === 'archived'
            ? 'an archived endpoint cannot be activated'
            : 'the endpoint is already active',
        details: { currentState: current.state },
      });
    }
    // Announced before the jobs exist, so dispatchers drop the cached draft state first.
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    await this.deliveries.enqueue(released);
    return this.get(tenantId, id);
  }

  /**
   * draft|active → archived. Archived endpoints accept no new deliveries, so the ones it
   * still held (draft or queued) are dead-lettered with the reason; replay needs an
   * endpoint that is not archived.
   */
  async archive(
    tenantId: string,
    id: string,
    options: { idempotent?: boolean } = {},
  ): Promise<OutboundEndpointView> {
    const archived = await this.dataSource.transaction(async (manager) => {
      const before = await this.row(tenantId, id, manager, { lock: true, missing: null });
      const updated = rowsOf<Row>(
        await manager.query(
          `UPDATE outbound_endpoints SET state = 'archived', updated_at = now()
            WHERE id = $1 AND tenant_id = $2 AND state <> 'archived'
            RETURNING *`,
          [requireUuid(id, 'outbound endpoint'), tenantId],
        ),
      );
      if (updated.length === 0 || !before) return false;
      const deadLettered = rowsOf<{ id: string }>(
        await manager.query(
          `UPDATE deliveries
              SET state = 'dead_letter', last_error = $2, next_attempt_at = NULL, completed_at = now(), updated_at = now()
            WHERE endpoint_id = $1 AND state IN ('draft', 'queued')
            RETURNING id`,
          [id, `outbound endpoint "${String(updated[0].code)}" was archived`],
        ),
      );
      await this.audit.record(manager, null, {
        action: 'outbound-endpoint.archive',
        entityType: 'outbound-endpoint',
        entityId: id,
        before: toView(before),
        after: { ...toView(updated[0]), deadLetteredDeliveries: deadLettered.length },
      });
      return true;
    });
    if (!archived) {
      const current = await this.row(tenantId, id);
      if (!options.idempotent) {
        throw new ConflictException({
          message: 'the endpoint is already archived',
          details: { currentState: current.state },
        });
      }
      return toView(current);
    }
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    return this.get(tenantId, id);
  }

  /** Sends a sample (or the given) payload as a test delivery (`isTest`). */
  async test(tenantId: string, id: string, dto: TestDeliveryDto): Promise<DeliveryView> {
    const endpoint = await this.row(tenantId, id);
    if (endpoint.state === 'archived') {
      throw new ConflictException({
        message: 'an archived endpoint accepts no deliveries',
        details: { currentState: endpoint.state },
      });
    }
    const delivery = await this.deliveries.deliver(
      tenantId,
      {
        endpoint: String(endpoint.code),
        payload: dto.payload ?? {
          type: 'hookgate.test',
          endpoint: endpoint.code,
          message: 'A test delivery from Hookgate',
          sentAt: new Date().toISOString(),
        },
        context: dto.context,
      },
      { isTest: true },
    );
    await this.audit.record(null, null, {
      action: 'outbound-endpoint.test',
      entityType: 'outbound-endpoint',
      entityId: id,
      after: { deliveryId: delivery.id, state: delivery.state, isTest: true },
    });
    return delivery;
  }

  private validate(
    spec: Pick<
      CreateOutboundEndpointDto,
      'targetHost' | 'targetPath' | 'headerRules' | 'payloadRules' | 'eventTypes'
    >,
    extra: { linked: boolean; retryPolicy: RetryPolicy; security: Security },
  ): void {
    const problems = outboundEndpointProblems({
      targetHost: spec.targetHost,
      targetPath: spec.targetPath ?? '',
      linked: extra.linked,
      headerRules: spec.headerRules ?? [],
      payloadRules: (spec.payloadRules ?? []) as PayloadRule[],
      eventTypes: spec.eventTypes ?? [],
      signing: extra.security.plainSigning,
      auth: extra.security.plainAuth,
      retryPolicy: extra.retryPolicy,
    });
    if (problems.length > 0) throw validationFailure(problems);
  }

  private async checkHandler(tenantId: string, ref: string | null): Promise<string | null> {
    if (ref === null) return null;
    const handler = await this.handlers.resolveRef(tenantId, ref);
    if (!handler)
      throw validationFailure([
        { field: 'handler', problems: [`no handler "${ref}" in this tenant`] },
      ]);
    if (handler.direction !== 'outbound') {
      throw validationFailure([
        { field: 'handler', problems: ['an outbound endpoint needs an outbound handler'] },
      ]);
    }
    if (!handler.active)
      throw validationFailure([{ field: 'handler', problems: ['the handler is archived'] }]);
    return handler.id;
  }

  /**
   * Splits the secret out of signing and auth, seals a new one, keeps the stored one when
   * the update names the same type without a secret, and drops it otherwise. Also answers
   * the plaintext configs, so validation proves the secrets that will actually be used.
   */
  private prepareSecurity(
    dto: Pick<CreateOutboundEndpointDto, 'signing' | 'auth'>,
    current: Row | null,
  ): Security {
    const stored = ((current?.secrets as Secrets | null) ?? {}) as Secrets;
    const secrets: Secrets = { ...stored };
    const storedSigning = (current?.signing as StoredOutboundSigning | undefined) ?? {
      type: 'none',
    };
    const storedAuth = (current?.auth as StoredEndpointAuth | undefined) ?? { type: 'none' };

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

    const plain = (name: string): string =>
      secrets[name] ? this.secrets.decrypt(secrets[name]) : '';
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
    else if (rule.given !== undefined) secrets[name] = this.secrets.encrypt(rule.given);
    else if (!rule.keep) delete secrets[name];
  }

  private async row(tenantId: string, id: string, db?: Queryable): Promise<Row>;
  private async row(
    tenantId: string,
    id: string,
    db: Queryable,
    options: { lock?: boolean; missing: null },
  ): Promise<Row | null>;
  private async row(
    tenantId: string,
    id: string,
    db: Queryable,
    options: { lock?: boolean },
  ): Promise<Row>;
  /** The endpoint row of this tenant (locked until commit with `lock`); 404, or null with `missing: null`. */
  private async row(
    tenantId: string,
    id: string,
    db: Queryable = this.dataSource,
    options: { lock?: boolean; missing?: null } = {},
  ): Promise<Row | null> {
    const rows: Row[] = await db.query(
      `SELECT * FROM outbound_endpoints WHERE id = $1 AND tenant_id = $2${options.lock ? ' FOR UPDATE' : ''}`,
      [requireUuid(id, 'outbound endpoint'), tenantId],
    );
    if (rows[0]) return rows[0];
    if (options.missing === null) return null;
    throw new NotFoundException(`outbound endpoint ${id} not found`);
  }
}

interface Security {
  signing: StoredOutboundSigning;
  auth: StoredEndpointAuth;
  secrets: Secrets;
  plainSigning: OutboundSigningConfig;
  plainAuth: EndpointAuth;
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

function healthSettings(given: CreateOutboundEndpointDto['health'], current: Row): Row {
  if (!given) return current;
  return withoutUndefined({
    disableAfterFailures:
      given.disableAfterFailures === undefined
        ? current.disableAfterFailures
        : (given.disableAfterFailures ?? undefined),
    disableAfterSeconds:
      given.disableAfterSeconds === undefined
        ? current.disableAfterSeconds
        : (given.disableAfterSeconds ?? undefined),
  });
}

/** Validated DTOs carry omitted fields as own `undefined`s; they must not override a merge. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Header rules read back redacted (a credential header's value is `[redacted]`): a client
 * that PUTs back what it read must not overwrite the secret with the placeholder, so a
 * redacted value keeps the stored value of the rule of the same name.
 */
function keepRedactedValues(given: HeaderRule[], stored: HeaderRule[] | null): HeaderRule[] {
  const storedValues = new Map((stored ?? []).map((rule) => [rule.name.toLowerCase(), rule.value]));
  return given.map((rule) => {
    const kept = storedValues.get(rule.name.toLowerCase());
    return rule.value === REDACTED && isSensitiveHeaderName(rule.name) && kept !== undefined
      ? { ...rule, value: kept }
      : rule;
  });
}

function toView(row: Row): OutboundEndpointView {
  const secrets = (row.secrets as Secrets | null) ?? {};
  const signing = (row.signing as StoredOutboundSigning | null) ?? { type: 'none' };
  const auth = (row.auth as StoredEndpointAuth | null) ?? { type: 'none' };
  const health = (row.health as Row | null) ?? {};
  return {
    id: String(row.id),
    code: String(row.code),
    name: String(row.name),
    state: row.state as OutboundEndpointState,
    method: String(row.method),
    bodyMode: String(row.body_mode),
    targetHost: String(row.target_host ?? ''),
    targetPath: String(row.target_path ?? ''),
    timeoutMs: Number(row.timeout_ms),
    handlerId: (row.handler_id as string | null) ?? null,
    // A credential header's value is write-only (issue 21); see keepRedactedValues.
    headerRules: redactHeaderRules((row.header_rules as HeaderRule[] | null) ?? []),
    payloadRules: (row.payload_rules as PayloadRule[] | null) ?? [],
    replacePayload: Boolean(row.replace_payload),
    eventTypes: (row.event_types as string[] | null) ?? [],
    signing:
      signing.type === 'none'
        ? signing
        : { ...signing, secretSet: Boolean(secrets[SIGNING_SECRET]) },
    auth: auth.type === 'none' ? auth : { ...auth, secretSet: Boolean(secrets[AUTH_SECRET]) },
    retryPolicy: withRetryDefaults(row.retry_policy as Partial<RetryPolicy> | null),
    rateLimitPerSecond: (row.rate_limit_per_second as number | null) ?? null,
    health: {
      disableAfterFailures: (health.disableAfterFailures as number | undefined) ?? null,
      disableAfterSeconds: (health.disableAfterSeconds as number | undefined) ?? null,
    },
    consecutiveFailures: Number(row.consecutive_failures ?? 0),
    failingSince: iso(row.failing_since),
    disabledAt: iso(row.disabled_at),
    disabledReason: (row.disabled_reason as string | null) ?? null,
    connectorId: (row.connector_id as string | null) ?? null,
    codeSuffix: (row.code_suffix as string | null) ?? null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}
