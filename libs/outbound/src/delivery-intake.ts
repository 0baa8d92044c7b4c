import type { DataSource, EntityManager } from 'typeorm';
import {
  DeliveryIntakeRepository,
  idempotencyPair,
  type IntakeEndpointRow,
  type NewDeliveryRow,
} from '@app/persistence/repositories/delivery-intake.repository';
import { MicroBatcher, type MicroBatcherOptions } from '@app/platform/micro-batcher';
import {
  isSubscribed,
  type DeliverFile,
  storableJson,
  storableJsonText,
  storableText,
  storableTextOrNull,
  uuidv7,
} from '@app/core';
import { linkItemTrace } from '@app/platform/tracing/item-trace';

/**
 * Turns publish requests into delivery rows (SPEC §5 "Publishing"). One implementation
 * for every entry point — the `outbound-requests` queue, the admin API, inbound `forward`
 * rules and callbacks — so they behave the same:
 *
 * - the idempotency key is unique per endpoint: republishing answers the existing row;
 * - an unknown or archived endpoint is not lost: it becomes a `dead_letter` delivery
 *   whose error says why;
 * - a draft endpoint holds its deliveries in `draft` until it is activated;
 * - an active endpoint's deliveries are `queued`, and the caller enqueues their ids
 *   after its transaction commits (`onQueued`).
 */
export interface DeliveryRequest {
  /** Endpoint code (ignored when `connector` is given). */
  endpoint: string;
  /** "Connector X, suffix Y" (SPEC §7): the connector's code (or id) and the endpoint's suffix. */
  connector?: ConnectorEndpointRef;
  payload: unknown;
  context?: Record<string, string>;
  idempotencyKey?: string;
  eventType?: string | null;
  sourceEventId?: string | null;
  isTest?: boolean;
  /**
   * File parts for a multipart endpoint (core's `DeliverFile`, shape and sizes already
   * checked at the door), stored beside the delivery in the same statement.
   */
  files?: readonly DeliverFile[];
}

export interface ConnectorEndpointRef {
  connector: string;
  suffix: string;
}

/** The code a request for "connector X, suffix Y" carries when no such endpoint exists. */
export function connectorEndpointLabel(ref: ConnectorEndpointRef): string {
  return `${ref.connector}/${ref.suffix}`;
}

export interface IntakeResult {
  id: string;
  state: string;
  duplicate: boolean;
  endpointCode: string;
}

type EndpointRow = IntakeEndpointRow;

/** A request on its way into a row. */
interface NewRow {
  endpoint: EndpointRow | null;
  request: DeliveryRequest;
  row: NewDeliveryRow;
}

interface BatchedDeliver {
  tenantId: string;
  request: DeliveryRequest;
}

type BatchedOutcome = { result: IntakeResult } | { error: unknown };

export class UnknownTenantError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How long a tenant name → id lookup is trusted when no change announcement arrives. */
export const TENANT_CACHE_TTL_MS = 5_000;

export class DeliveryIntake {
  /**
   * Tenant name → id, for a bounded time: a tenant can be renamed (and its old name taken
   * by another tenant), so a lookup is never trusted forever. The admin API announces the
   * rename and the dispatcher calls {@link forgetTenants}; the TTL bounds staleness when
   * that announcement is missed.
   */
  private readonly tenantIds = new Map<string, { id: string; until: number }>();
  private readonly repository = new DeliveryIntakeRepository();
  /** Concurrent `deliver` requests by endpoint code, stored together (see constructor). */
  private readonly batched?: MicroBatcher<BatchedDeliver, BatchedOutcome>;

  /**
   * With `batch` (the dispatcher's intake), `deliver` requests by endpoint code that run
   * concurrently outside a caller's transaction share their statements: one lookup of
   * their endpoints and one multi-row INSERT (one commit) per batch instead of two
   * statements and a commit each. Each caller still returns only once its own row is
   * committed; if a batch fails, its requests are retried one by one, so each gets its own
   * outcome (a row Postgres refuses refuses only its own request).
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenantCacheTtlMs = TENANT_CACHE_TTL_MS,
    batch?: MicroBatcherOptions,
  ) {
    if (batch) {
      this.batched = new MicroBatcher((items) => this.deliverBatch(items), batch);
    }
  }

  /** Drops every cached tenant lookup (a tenant was renamed, created or removed). */
  forgetTenants(): void {
    this.tenantIds.clear();
  }

  /** Resolves a tenant name (job contract) to its id; undefined names the default tenant. */
  async tenantId(
    name: string | undefined,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const key = name ?? 'default';
    const cached = this.tenantIds.get(key);
    if (cached && cached.until > Date.now()) return cached.id;
    const id = await this.repository.tenantIdByName(manager, key);
    if (id === null) {
      this.tenantIds.delete(key);
      throw new UnknownTenantError(`unknown tenant "${key}"`);
    }
    this.tenantIds.set(key, { id, until: Date.now() + this.tenantCacheTtlMs });
    return id;
  }

  async deliver(
    tenantId: string,
    request: DeliveryRequest,
    manager?: EntityManager,
  ): Promise<IntakeResult> {
    // Requests with files go on their own: their rows and files are one statement each.
    if (this.batched && !manager && !request.connector && !request.files?.length) {
      const outcome = await this.batched.submit({ tenantId, request });
      if ('error' in outcome) throw outcome.error;
      return outcome.result;
    }
    return this.deliverOne(tenantId, request, manager ?? this.dataSource.manager);
  }

  private async deliverOne(
    tenantId: string,
    request: DeliveryRequest,
    manager: EntityManager,
  ): Promise<IntakeResult> {
    if (request.connector)
      return this.deliverThroughConnector(tenantId, request, request.connector, manager);
    const endpoint = await this.repository.endpointByCode(manager, tenantId, request.endpoint);
    return this.insert(manager, tenantId, endpoint, request);
  }

  /** A batch of deliver requests by code: one endpoint lookup, one INSERT (autocommit). */
  private async deliverBatch(items: BatchedDeliver[]): Promise<BatchedOutcome[]> {
    const manager = this.dataSource.manager;
    let found: Awaited<ReturnType<DeliveryIntakeRepository['endpointsByCodes']>>;
    try {
      found = await this.repository.endpointsByCodes(
        manager,
        items.map(({ tenantId, request }) => ({ tenantId, code: request.endpoint })),
      );
    } catch (error) {
      // Postgres away: every request fails now (and is retried by its job), not one by one.
      return items.map(() => ({ error }));
    }
    try {
      const endpoints = new Map(found.map((e) => [`${e.tenant_id}\u0000${e.code}`, e]));
      const rows = items.map(({ tenantId, request }) =>
        this.newRow(
          tenantId,
          endpoints.get(`${tenantId}\u0000${request.endpoint}`) ?? null,
          request,
          storedFields(request),
        ),
      );
      const results = await this.insertRows(manager, rows);
      return results.map((result) => ({ result }));
    } catch {
      // One request's data may have failed the whole statement: each on its own.
      return Promise.all(
        items.map(({ tenantId, request }) =>
          this.deliverOne(tenantId, request, manager).then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          ),
        ),
      );
    }
  }

  /** Resolves the connector's endpoint by suffix; none → a dead_letter row saying so. */
  private async deliverThroughConnector(
    tenantId: string,
    request: DeliveryRequest,
    ref: ConnectorEndpointRef,
    manager: EntityManager,
  ): Promise<IntakeResult> {
    const endpoint = await this.repository.endpointByConnector(
      manager,
      tenantId,
      ref.connector,
      ref.suffix,
      UUID.test(ref.connector),
    );
    return this.insert(
      manager,
      tenantId,
      endpoint,
      { ...request, endpoint: endpoint?.code ?? connectorEndpointLabel(ref) },
      `connector "${ref.connector}" has no outbound endpoint with suffix "${ref.suffix}"`,
    );
  }

  /** Fans out to every active or draft endpoint subscribed to the event type. */
  async publish(
    tenantId: string,
    request: Omit<DeliveryRequest, 'endpoint' | 'files'> & { eventType: string },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<IntakeResult[]> {
    const endpoints = await this.repository.subscribableEndpoints(manager, tenantId);
    // The request's storable form is the same for every endpoint: made once.
    const stored = storedFields(request);
    // Every subscribed endpoint's row in one INSERT (they are in the caller's transaction).
    const rows = endpoints
      .filter((e) => isSubscribed(e.event_types, request.eventType))
      .map((endpoint) =>
        this.newRow(tenantId, endpoint, { ...request, endpoint: endpoint.code }, stored),
      );
    return this.insertRows(manager, rows);
  }

  private async insert(
    manager: EntityManager,
    tenantId: string,
    endpoint: EndpointRow | null,
    request: DeliveryRequest,
    unknownReason?: string,
  ): Promise<IntakeResult> {
    const row = this.newRow(tenantId, endpoint, request, storedFields(request), unknownReason);
    const inserted = await this.repository.insertDelivery(manager, row.row);
    return this.answer(manager, row, inserted);
  }

  /** Several new rows (without files) in one statement, answered in their order. */
  private async insertRows(manager: EntityManager, rows: NewRow[]): Promise<IntakeResult[]> {
    const inserted = new Map(
      (
        await this.repository.insertDeliveries(
          manager,
          rows.map((r) => r.row),
        )
      ).map((r) => [r.id, r]),
    );
    // The rows skipped for a taken key answer the existing rows, all found in one statement.
    const skipped = rows.filter((r) => !inserted.has(r.row.id)).map((r) => r.row);
    const existing = await this.repository.findByIdempotencyKeys(manager, skipped);
    return rows.map((row) => {
      const found =
        inserted.get(row.row.id) ??
        existing.get(idempotencyPair(row.row.endpointId, row.row.idempotencyKey));
      return this.result(row, found, inserted.has(row.row.id));
    });
  }

  /** The row a request becomes: its state decided from its endpoint (or its absence). */
  private newRow(
    tenantId: string,
    endpoint: EndpointRow | null,
    request: DeliveryRequest,
    stored: StoredFields,
    unknownReason = `unknown outbound endpoint "${request.endpoint}"`,
  ): NewRow {
    let state: string;
    let error: string | null = null;
    if (!endpoint) {
      state = 'dead_letter';
      error = unknownReason;
    } else if (endpoint.state === 'archived') {
      state = 'dead_letter';
      error = `outbound endpoint "${endpoint.code}" is archived`;
    } else if ((request.files?.length ?? 0) > 0 && endpoint.body_mode !== 'multipart') {
      state = 'dead_letter';
      error = `the request carries files, but outbound endpoint "${endpoint.code}" sends ${endpoint.body_mode} bodies: only a multipart endpoint sends files`;
    } else if (endpoint.state === 'draft') {
      state = 'draft';
    } else {
      state = 'queued';
    }
    return {
      endpoint,
      request,
      row: {
        id: uuidv7(),
        tenantId,
        endpointId: endpoint?.id ?? null,
        endpointCode: endpoint?.code ?? storableText(request.endpoint),
        ...stored,
        state,
        isTest: request.isTest ?? false,
        sourceEventId: request.sourceEventId ?? null,
        lastError: storableTextOrNull(error),
      },
    };
  }

  /** The result of one row: inserted, or (its key taken on the endpoint) the existing row. */
  private async answer(
    manager: EntityManager,
    { endpoint, request, row }: NewRow,
    inserted: { id: string; state: string } | null,
  ): Promise<IntakeResult> {
    if (inserted) return this.result({ endpoint, request, row }, inserted, true);
    const existing = await this.repository.findByIdempotencyKey(
      manager,
      endpoint?.id ?? null,
      row.idempotencyKey,
    );
    return this.result({ endpoint, request, row }, existing ?? undefined, false);
  }

  /** A row's answer: the row it inserted, or the existing row that holds its key. */
  private result(
    { endpoint, request }: NewRow,
    row: { id: string; state: string } | undefined,
    inserted: boolean,
  ): IntakeResult {
    if (!row) throw new Error('delivery insert conflicted but no existing delivery was found');
    // Created while an inbound event is processed: its send continues that event's trace.
    if (inserted) linkItemTrace(row.id, request.sourceEventId);
    return {
      id: row.id,
      state: row.state,
      duplicate: !inserted,
      endpointCode: endpoint?.code ?? request.endpoint,
    };
  }
}

type StoredFields = Pick<
  NewRow['row'],
  'eventType' | 'payload' | 'context' | 'idempotencyKey' | 'files'
>;

/**
 * A publisher's payload and context are outside text: made storable (NUL, lone
 * surrogates), so the row is not refused. The key is the stored one for the lookup too.
 */
function storedFields(request: Omit<DeliveryRequest, 'endpoint'>): StoredFields {
  return {
    eventType: storableTextOrNull(request.eventType),
    payload: storableJsonText(request.payload ?? null),
    context: storableJson(request.context ?? {}),
    idempotencyKey: storableTextOrNull(request.idempotencyKey),
    files: (request.files ?? []).map((file) => ({
      field: file.field,
      filename: file.filename,
      contentType: file.contentType ?? 'application/octet-stream',
      content: Buffer.from(file.contentBase64, 'base64'),
    })),
  };
}
