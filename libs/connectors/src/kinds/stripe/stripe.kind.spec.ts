import type { RecordData, RecordLookup, RecordStore, StoredRecord } from '@app/core';
import type { ConnectorRuntime } from '../../connector.types';
import { GenericHttpConnectorKind } from '../generic-http/generic-http.kind';
import { StripeConnectorKind } from './stripe.kind';

const connector: ConnectorRuntime = {
  id: 'c1',
  tenantId: 't1',
  kind: 'stripe',
  code: 'main',
  name: 'Main',
  active: true,
  baseUrl: null,
  credentials: { secretKey: 'sk_test_1', webhookSecret: 'whsec_1' },
  settings: {},
  technicalPrefix: 'stripe-c1',
};
const delivery = {
  id: 'del-1',
  endpointCode: 'stripe-c1-customers',
  codeSuffix: 'customers',
  eventType: null,
  payload: {},
  context: {},
  idempotencyKey: null as string | null,
  attempts: 1,
};

/** An in-memory record store: enough to watch what the callback writes. */
class MemoryRecords implements RecordStore {
  readonly rows: StoredRecord[] = [];
  async create(model: string, data: RecordData) {
    const row = { id: String(this.rows.length + 1), model, data };
    this.rows.push(row);
    return row;
  }
  async find(model: string, lookup: RecordLookup) {
    return this.rows.filter(
      (r) => r.model === model && lookup.every((l) => r.data[l.field] === l.value),
    );
  }
  async update(model: string, lookup: RecordLookup, data: RecordData) {
    const [row] = await this.find(model, lookup);
    Object.assign(row.data, data);
    return row;
  }
  async upsert(model: string, lookup: RecordLookup, data: RecordData) {
    const [row] = await this.find(model, lookup);
    if (row) return { ...(await this.update(model, lookup, data)), created: false };
    return { ...(await this.create(model, data)), created: true };
  }
}

function event(payload: unknown, records: RecordStore) {
  return {
    event: {
      id: 'evt',
      tenant: 't1',
      endpointPath: 'stripe-c1-inbound',
      receivedAt: new Date(0),
      payload,
      headers: {},
      query: {},
      semantic: {},
      deliveryIdentity: null,
      replayIdentity: null,
      rawBody: Buffer.alloc(0),
      attempts: 1,
      connectorId: 'c1',
    },
    records,
    deliveries: {} as never,
    log: () => undefined,
  };
}

describe('StripeConnectorKind', () => {
  const kind = new StripeConnectorKind();

  it('calls the Stripe API by default and the configured base URL when set', () => {
    expect(kind.outboundBaseUrl(connector)).toBe('https://api.stripe.com');
    expect(kind.outboundBaseUrl({ ...connector, baseUrl: 'http://127.0.0.1:9' })).toBe(
      'http://127.0.0.1:9',
    );
  });

  it('authenticates with the secret key and keys idempotency on the delivery', () => {
    expect(kind.outboundExtraHeaders(connector, delivery)).toEqual({
      Authorization: 'Bearer sk_test_1',
      'Idempotency-Key': 'del-1',
    });
    expect(
      kind.outboundExtraHeaders(connector, { ...delivery, idempotencyKey: 'order-7' })[
        'Idempotency-Key'
      ],
    ).toBe('order-7');
    expect(() => kind.outboundExtraHeaders({ ...connector, credentials: {} }, delivery)).toThrow(
      /no secretKey credential/,
    );
  });

  it('checks credential shapes', () => {
    expect(kind.configurationProblems({ credentials: { secretKey: 'pk_live_x' } })).toEqual([
      { field: 'credentials.secretKey', problems: ['must start with sk_ or rk_'] },
    ]);
    expect(kind.configurationProblems({ credentials: { webhookSecret: 'whsec_x' } })).toEqual([]);
  });

  it('upserts one stripe_customers record per customer across customer.* events', async () => {
    const records = new MemoryRecords();
    const customer = (type: string, email: string) => ({
      id: `evt_${type}`,
      type,
      created: 1,
      data: { object: { id: 'cus_1', object: 'customer', email, name: 'Ada' } },
    });
    await kind.handleInboundEvent(connector, event(customer('customer.created', 'a@x'), records));
    await kind.handleInboundEvent(connector, event(customer('customer.updated', 'b@x'), records));
    expect(records.rows).toHaveLength(1);
    expect(records.rows[0]).toMatchObject({
      model: 'stripe_customers',
      data: { stripeId: 'cus_1', email: 'b@x', lastEventType: 'customer.updated', deleted: false },
    });
  });

  it('upserts stripe_invoices from invoice.* and ignores other events', async () => {
    const records = new MemoryRecords();
    const result = await kind.handleInboundEvent(
      connector,
      event(
        {
          id: 'evt_1',
          type: 'invoice.paid',
          data: {
            object: {
              id: 'in_1',
              object: 'invoice',
              customer: 'cus_1',
              status: 'paid',
              amount_due: 500,
              amount_paid: 500,
              currency: 'eur',
            },
          },
        },
        records,
      ),
    );
    expect(result).toEqual({ type: 'done' });
    expect(records.rows[0]).toMatchObject({
      model: 'stripe_invoices',
      data: { stripeId: 'in_1', customer: 'cus_1', status: 'paid', amountPaid: 500 },
    });
    const ignored = await kind.handleInboundEvent(
      connector,
      event(
        { type: 'charge.succeeded', data: { object: { id: 'ch_1', object: 'charge' } } },
        records,
      ),
    );
    expect(ignored).toMatchObject({ type: 'done' });
    expect(records.rows).toHaveLength(1);
  });
});

describe('StripeConnectorKind.handleOutboundDelivery', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  class FixedClockStripe extends StripeConnectorKind {
    protected override now(): number {
      return now;
    }
  }
  const kind = new FixedClockStripe();
  const hours = (h: number) => new Date(now - h * 3_600_000);
  const decide = (attempts: number, createdAt: Date) =>
    kind.handleOutboundDelivery(connector, {
      delivery: { ...delivery, attempts, createdAt },
      request: {} as never,
      log: () => undefined,
    });

  it('sends a first attempt whatever its age, and retries while Stripe keeps the key', () => {
    expect(decide(1, hours(0))).toEqual({ type: 'send' });
    expect(decide(1, hours(72))).toEqual({ type: 'send' });
    expect(decide(2, hours(1))).toEqual({ type: 'send' });
    expect(decide(9, hours(23.9))).toEqual({ type: 'send' });
  });

  it('dead-letters a retry once Stripe may have forgotten the idempotency key', () => {
    const outcome = decide(2, hours(25));
    expect(outcome).toMatchObject({ type: 'dead_letter' });
    expect((outcome as { reason: string }).reason).toMatch(
      /^not re-sent to Stripe: the delivery is 25 h old and Stripe keeps idempotency keys for 24 h/,
    );
    expect(decide(5, hours(24))).toMatchObject({ type: 'dead_letter' });
  });
});

describe('GenericHttpConnectorKind', () => {
  const kind = new GenericHttpConnectorKind();
  const generic = { ...connector, kind: 'generic-http', baseUrl: 'http://127.0.0.1:9' };

  it('sends bearer or basic credentials', () => {
    expect(kind.outboundExtraHeaders({ ...generic, credentials: { token: 't' } })).toEqual({
      Authorization: 'Bearer t',
    });
    expect(
      kind.outboundExtraHeaders({ ...generic, credentials: { username: 'u', password: 'p' } }),
    ).toEqual({ Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    expect(kind.outboundExtraHeaders({ ...generic, credentials: {} })).toEqual({});
  });

  it('needs a base URL and one kind of credentials', () => {
    expect(
      kind.configurationProblems({ credentials: { token: 't', username: 'u' }, baseUrl: null }),
    ).toHaveLength(3);
  });
});
