import {
  deadLetter,
  done,
  ProcessingConfigurationError,
  send,
  type CallbackResult,
  type InboundCallbackContext,
  type OutboundCallbackContext,
  type RecordStore,
} from '@app/core';
import { ConnectorKind } from '../../connector-kind';
import type { ConnectorTemplate } from '../../connector-template';
import type { ConnectorDelivery, ConnectorRuntime } from '../../connector.types';
import template from './stripe.template.json';

/**
 * The Stripe connector kind: one Stripe account.
 *
 * Inbound: the template's endpoint verifies with the `stripe` preset against the
 * `webhookSecret` credential; this kind's callback keeps `stripe_customers` and
 * `stripe_invoices` records (one per Stripe object id) from `customer.*` and `invoice.*`
 * events and ignores other types.
 *
 * Outbound: the Stripe API style — form bodies (template), `Authorization: Bearer
 * <secretKey>` and an `Idempotency-Key` from the delivery, so a retried attempt never
 * creates a second object. Stripe keeps an idempotency key for 24 hours only, so the
 * delivery hook refuses to re-send, after that, a delivery an earlier attempt may already
 * have delivered (see handleOutboundDelivery). The base URL is `https://api.stripe.com`
 * unless the connector sets `baseUrl` (tests aim it at a fake on loopback).
 */
export const STRIPE_API_BASE_URL = 'https://api.stripe.com';

/** How long Stripe remembers an idempotency key (its API reference: "at least 24 hours"). */
export const STRIPE_IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

interface StripeEvent {
  id?: string;
  type?: string;
  created?: number;
  livemode?: boolean;
  data?: { object?: Record<string, unknown> };
}

export class StripeConnectorKind extends ConnectorKind {
  readonly name = 'stripe';
  readonly description = 'A Stripe account: webhooks in (customers, invoices), API calls out';
  readonly template = template as ConnectorTemplate;
  override readonly credentialKeys = ['secretKey', 'webhookSecret'];

  override configurationProblems(connector: {
    credentials: Record<string, string>;
  }): Array<{ field: string; problems: string[] }> {
    const problems: Array<{ field: string; problems: string[] }> = [];
    const { secretKey, webhookSecret } = connector.credentials;
    if (secretKey !== undefined && !/^(sk|rk)_/.test(secretKey))
      problems.push({ field: 'credentials.secretKey', problems: ['must start with sk_ or rk_'] });
    if (webhookSecret !== undefined && !webhookSecret.startsWith('whsec_'))
      problems.push({ field: 'credentials.webhookSecret', problems: ['must start with whsec_'] });
    return problems;
  }

  override outboundBaseUrl(connector: ConnectorRuntime): string {
    return connector.baseUrl || STRIPE_API_BASE_URL;
  }

  override outboundExtraHeaders(
    connector: ConnectorRuntime,
    delivery: ConnectorDelivery,
  ): Record<string, string> {
    const secretKey = connector.credentials.secretKey;
    if (!secretKey) {
      throw new ProcessingConfigurationError(
        `connector "${connector.code}" has no secretKey credential: set it to call the Stripe API`,
      );
    }
    return {
      Authorization: `Bearer ${secretKey}`,
      // Stable across attempts of one delivery: Stripe answers a retry with the first result.
      'Idempotency-Key': delivery.idempotencyKey ?? delivery.id,
    };
  }

  /**
   * A retry is safe only while Stripe still remembers the `Idempotency-Key`: then it
   * answers with the first attempt's result instead of creating a second customer, charge
   * or refund. A delivery created more than 24 hours ago whose earlier attempt may have
   * reached Stripe is dead-lettered instead of re-sent, with the reason. The check is
   * conservative (the first attempt was at or after `createdAt`): an operator checks Stripe
   * and publishes again with a new key if the object is missing.
   */
  override handleOutboundDelivery(
    _connector: ConnectorRuntime,
    { delivery }: OutboundCallbackContext,
  ): CallbackResult {
    const ageMs = this.now() - delivery.createdAt.getTime();
    if (delivery.attempts > 1 && ageMs >= STRIPE_IDEMPOTENCY_WINDOW_MS) {
      return deadLetter(
        `not re-sent to Stripe: the delivery is ${Math.floor(ageMs / 3_600_000)} h old and ` +
          'Stripe keeps idempotency keys for 24 h, so a retry could create a second object; ' +
          'check Stripe, then publish again with a new idempotency key if it is missing',
      );
    }
    return send();
  }

  /** The clock the idempotency window is measured with (tests move it). */
  protected now(): number {
    return Date.now();
  }

  override async handleInboundEvent(
    _connector: ConnectorRuntime,
    { event, records, log }: InboundCallbackContext,
  ): Promise<CallbackResult> {
    const payload = (event.payload ?? {}) as StripeEvent;
    const type = payload.type ?? '';
    const object = payload.data?.object;
    if (!object || typeof object.id !== 'string') return done(`ignored: no data.object.id`);
    if (type.startsWith('customer.') && object.object === 'customer') {
      const record = await upsert(records, 'stripe_customers', object.id, payload, {
        email: object.email ?? null,
        name: object.name ?? null,
        deleted: type === 'customer.deleted',
      });
      log(`customer ${object.id} ${record.created ? 'created' : 'updated'}`);
      return done();
    }
    if (type.startsWith('invoice.') && object.object === 'invoice') {
      const record = await upsert(records, 'stripe_invoices', object.id, payload, {
        customer: object.customer ?? null,
        status: object.status ?? null,
        number: object.number ?? null,
        currency: object.currency ?? null,
        amountDue: object.amount_due ?? null,
        amountPaid: object.amount_paid ?? null,
        total: object.total ?? null,
      });
      log(`invoice ${object.id} ${record.created ? 'created' : 'updated'}`);
      return done();
    }
    return done(`ignored: ${type || 'untyped'} event`);
  }
}

function upsert(
  records: RecordStore,
  model: string,
  stripeId: string,
  event: StripeEvent,
  fields: Record<string, unknown>,
) {
  return records.upsert(model, [{ field: 'stripeId', value: stripeId }], {
    stripeId,
    ...fields,
    livemode: event.livemode ?? false,
    lastEventId: event.id ?? null,
    lastEventType: event.type ?? null,
    lastEventCreated: event.created ?? null,
  });
}
