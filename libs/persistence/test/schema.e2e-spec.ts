import { randomUUID } from 'node:crypto';
import type { DataSource, QueryDeepPartialEntity } from 'typeorm';
import {
  DeliveryAttemptEntity,
  DeliveryEntity,
  HandlerEntity,
  HandlerRuleEntity,
  InboundEndpointEntity,
  InboundEventEntity,
  OutboundEndpointEntity,
  prepareDatabase,
  TenantEntity,
} from '@app/persistence';
import { uniqueName } from '../../../test/support/database';

/** The schema's guarantees (identity indexes, checks, defaults) and the entity mappings. */
describe('schema', () => {
  let dataSource: DataSource;
  let tenantId: string;
  let handlerId: string;
  let endpointId: string;

  beforeAll(async () => {
    dataSource = await prepareDatabase(process.env.DATABASE_URL as string, {
      applicationName: 'persistence-e2e-schema',
    });
    const tenant = await dataSource
      .getRepository(TenantEntity)
      .save({ name: uniqueName('schema_tenant') });
    tenantId = tenant.id;
    const handler = await dataSource.getRepository(HandlerEntity).save({
      tenantId,
      code: 'github-issues',
      name: 'GitHub issues',
      direction: 'inbound',
      executionMode: 'rules',
    });
    handlerId = handler.id;
    const endpoint = await dataSource.getRepository(InboundEndpointEntity).save({
      tenantId,
      name: 'GitHub',
      path: uniqueName('github'),
      handlerId,
      signature: { mode: 'hmac', preset: 'github' },
      secrets: { secret: 'v1:k1:ciphertext' },
    });
    endpointId = endpoint.id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  function event(overrides: Partial<InboundEventEntity> = {}): Partial<InboundEventEntity> {
    return {
      id: randomUUID(),
      tenantId,
      endpointId,
      endpointPath: 'github',
      state: 'received',
      method: 'POST',
      url: '/webhooks/github',
      headers: { 'content-type': 'application/json' },
      query: {},
      rawBody: Buffer.from('{"a":1}'),
      payload: { a: 1 },
      ...overrides,
    };
  }

  const insert = (values: Partial<InboundEventEntity>) =>
    dataSource
      .getRepository(InboundEventEntity)
      .insert(values as QueryDeepPartialEntity<InboundEventEntity>);

  it('maps inbound endpoints with their defaults', async () => {
    const stored = await dataSource
      .getRepository(InboundEndpointEntity)
      .findOneByOrFail({ id: endpointId });
    expect(stored).toMatchObject({
      active: true,
      maxBodyBytes: 1048576,
      identity: {},
      timestamp: null,
      semanticBindings: [],
      handshakes: {},
      rejectedPerMinute: 60,
      connectorId: null,
    });
    expect(stored.createdAt).toBeInstanceOf(Date);
  });

  it('stores an inbound event byte-exact with its defaults', async () => {
    const body = Buffer.from([0, 255, 1, 2, 0x7b]);
    const values = event({ rawBody: body, payload: null, contentType: 'application/octet-stream' });
    await insert(values);
    const stored = await dataSource
      .getRepository(InboundEventEntity)
      .findOneByOrFail({ id: values.id });
    expect(Buffer.compare(stored.rawBody, body)).toBe(0);
    expect(stored).toMatchObject({
      state: 'received',
      payload: null,
      semantic: {},
      duplicateCount: 0,
      attempts: 0,
      executionLog: null,
      rejectReason: null,
      rejectCode: null,
    });
    expect(stored.receivedAt).toBeInstanceOf(Date);
  });

  it('allows one live event per (endpoint, delivery identity)', async () => {
    await insert(event({ deliveryIdentity: 'delivery-1' }));
    await expect(insert(event({ deliveryIdentity: 'delivery-1' }))).rejects.toMatchObject({
      driverError: { code: '23505', constraint: 'inbound_events_delivery_identity_key' },
    });
  });

  it('lets rejected events never occupy an identity', async () => {
    const rejected = event({
      deliveryIdentity: 'delivery-2',
      state: 'rejected',
      rejectReason: 'bad signature',
      rejectCode: 'signature_invalid',
    });
    await insert(rejected);
    await expect(
      dataSource.getRepository(InboundEventEntity).findOneByOrFail({ id: rejected.id }),
    ).resolves.toMatchObject({ rejectReason: 'bad signature', rejectCode: 'signature_invalid' });
    await insert(
      event({ deliveryIdentity: 'delivery-2', state: 'rejected', rejectReason: 'bad signature' }),
    );
    await insert(event({ deliveryIdentity: 'delivery-2' }));
    await expect(insert(event({ deliveryIdentity: 'delivery-2' }))).rejects.toMatchObject({
      driverError: { code: '23505' },
    });
  });

  it('applies the same rule to replay identities, independently of delivery identities', async () => {
    await insert(event({ deliveryIdentity: 'd-a', replayIdentity: 'evt_1' }));
    await expect(
      insert(event({ deliveryIdentity: 'd-b', replayIdentity: 'evt_1' })),
    ).rejects.toMatchObject({
      driverError: { code: '23505', constraint: 'inbound_events_replay_identity_key' },
    });
    await insert(event({ deliveryIdentity: 'd-c', replayIdentity: 'evt_2', state: 'rejected' }));
    await insert(event({ deliveryIdentity: 'd-d', replayIdentity: 'evt_2' }));
    // Identities are per endpoint; nulls never collide.
    await insert(event({ deliveryIdentity: null, replayIdentity: null }));
    await insert(event({ deliveryIdentity: null, replayIdentity: null }));
  });

  it('ON CONFLICT DO NOTHING resolves a duplicate without an error', async () => {
    const first = event({ deliveryIdentity: 'delivery-3' });
    await insert(first);
    const rows = await dataSource.query(
      `INSERT INTO inbound_events (id, tenant_id, endpoint_id, endpoint_path, method, url, headers, raw_body, delivery_identity)
       VALUES ($1, $2, $3, 'github', 'POST', '/webhooks/github', '{}', '\\x', 'delivery-3')
       ON CONFLICT DO NOTHING RETURNING id`,
      [randomUUID(), tenantId, endpointId],
    );
    expect(rows).toEqual([]);
  });

  it('refuses unknown states', async () => {
    await expect(insert(event({ state: 'bogus' as never }))).rejects.toMatchObject({
      driverError: { code: '23514', constraint: 'inbound_events_state_check' },
    });
  });

  it('requires a callback name for callback handlers', async () => {
    await expect(
      dataSource.getRepository(HandlerEntity).insert({
        tenantId,
        code: 'cb',
        name: 'cb',
        direction: 'inbound',
        executionMode: 'callback',
      }),
    ).rejects.toMatchObject({ driverError: { code: '23514' } });
  });

  it('loads a handler with its rules and deletes rules with it', async () => {
    const handler = await dataSource.getRepository(HandlerEntity).save({
      tenantId,
      code: 'with-rules',
      name: 'with rules',
      direction: 'inbound',
      executionMode: 'rules',
    });
    await dataSource.getRepository(HandlerRuleEntity).save([
      { handlerId: handler.id, sequence: 20, name: 'second', action: 'done' },
      {
        handlerId: handler.id,
        sequence: 10,
        name: 'first',
        action: 'upsert_record',
        targetModel: 'issue',
        conditions: [{ path: 'action', operator: '=', value: 'opened' }],
        lookups: [{ field: 'number', source: { kind: 'payload', path: 'issue.number' } }],
      },
    ]);
    const loaded = await dataSource.getRepository(HandlerEntity).findOneOrFail({
      where: { id: handler.id },
      relations: { rules: true },
      order: { rules: { sequence: 'ASC' } },
    });
    expect(loaded.rules?.map((r) => r.name)).toEqual(['first', 'second']);
    expect(loaded.rules?.[1]).toMatchObject({
      conditions: [],
      assignments: [],
      retrySeconds: null,
    });
    expect(loaded.rules?.[0].conditions).toEqual([
      { path: 'action', operator: '=', value: 'opened' },
    ]);

    await dataSource.getRepository(HandlerEntity).delete({ id: handler.id });
    expect(
      await dataSource.getRepository(HandlerRuleEntity).countBy({ handlerId: handler.id }),
    ).toBe(0);
  });

  it('maps outbound endpoints, deliveries and attempts', async () => {
    const endpoint = await dataSource.getRepository(OutboundEndpointEntity).save({
      tenantId,
      code: 'orders',
      name: 'Orders',
      targetHost: 'https://example.test',
      eventTypes: ['order.*', 'invoice.paid'],
    });
    const stored = await dataSource
      .getRepository(OutboundEndpointEntity)
      .findOneByOrFail({ id: endpoint.id });
    expect(stored).toMatchObject({
      state: 'draft',
      method: 'POST',
      bodyMode: 'json',
      timeoutMs: 10000,
      eventTypes: ['order.*', 'invoice.paid'],
      signing: { type: 'none' },
      auth: { type: 'none' },
      retryPolicy: {
        maxAttempts: 10,
        initialDelaySeconds: 60,
        multiplier: 2,
        maxDelaySeconds: 86400,
      },
      health: {},
      consecutiveFailures: 0,
      replacePayload: false,
    });
    const subscribed: Array<{ id: string }> = await dataSource.query(
      `SELECT id FROM outbound_endpoints WHERE tenant_id = $1 AND event_types && $2::text[]`,
      [tenantId, ['order.*', '*']],
    );
    expect(subscribed.map((r) => r.id)).toEqual([endpoint.id]);

    const deliveryId = randomUUID();
    await dataSource.getRepository(DeliveryEntity).insert({
      id: deliveryId,
      tenantId,
      endpointId: endpoint.id,
      endpointCode: 'orders',
      state: 'queued',
      payload: [1, 2, 3],
      context: { orderId: '42' },
      idempotencyKey: 'k-1',
    });
    await expect(
      dataSource.getRepository(DeliveryEntity).insert({
        id: randomUUID(),
        tenantId,
        endpointId: endpoint.id,
        endpointCode: 'orders',
        state: 'queued',
        payload: {},
        idempotencyKey: 'k-1',
      }),
    ).rejects.toMatchObject({
      driverError: { code: '23505', constraint: 'deliveries_idempotency_key' },
    });

    await dataSource.getRepository(DeliveryAttemptEntity).insert([
      {
        deliveryId,
        tenantId,
        endpointId: endpoint.id,
        attemptNumber: 1,
        outcome: 'retry',
        responseStatus: 503,
      },
      {
        deliveryId,
        tenantId,
        endpointId: endpoint.id,
        attemptNumber: 2,
        outcome: 'success',
        responseStatus: 200,
      },
    ]);
    const delivery = await dataSource.getRepository(DeliveryEntity).findOneOrFail({
      where: { id: deliveryId },
      relations: { attemptLog: true },
    });
    expect(delivery.payload).toEqual([1, 2, 3]);
    expect(delivery.context).toEqual({ orderId: '42' });
    expect(delivery.attemptLog?.map((a) => a.attemptNumber).sort()).toEqual([1, 2]);

    // Deleting the endpoint keeps its deliveries (endpoint_code says where they went).
    await dataSource.getRepository(OutboundEndpointEntity).delete({ id: endpoint.id });
    const orphan = await dataSource
      .getRepository(DeliveryEntity)
      .findOneByOrFail({ id: deliveryId });
    expect(orphan.endpointId).toBeNull();

    await dataSource.getRepository(DeliveryEntity).delete({ id: deliveryId });
    expect(await dataSource.getRepository(DeliveryAttemptEntity).countBy({ deliveryId })).toBe(0);
  });
});
