import {
  buildOutboundRequest,
  ProcessingConfigurationError,
  escapeTemplate,
  type BuildRequestInput,
  type OutboundRequest,
  type RequestSpec,
} from '@app/core';
import type { ConnectorDelivery, ConnectorKind, ConnectorRuntime } from '@app/connectors';
import type { DeliveryRow } from '@app/persistence';
import type { ConnectorLookup } from './send-delivery.ports';
import type { OutboundEndpointRuntime } from './outbound-endpoint-cache';

/**
 * How a delivery becomes a request: the delivery as handlers and connector hooks see it,
 * the endpoint's spec adjusted by its connector, and the headers a `mutate` rule sets.
 */

/** A linked endpoint's connector and kind, with the delivery as its hooks see it. */
export interface Linked {
  connector: ConnectorRuntime;
  kind: ConnectorKind;
  delivery: ConnectorDelivery;
}

/** What the request is built from: the endpoint's spec, adjusted by its connector. */
export interface Shape {
  spec: RequestSpec;
  connectorHeaders?: Record<string, string>;
  /** The delivery's file parts (multipart endpoints only). */
  files?: BuildRequestInput['files'];
}

/** The delivery facts request building and rules read (`{kind:"event"}` sources, signing). */
export function deliveryFacts(delivery: DeliveryRow) {
  return {
    id: delivery.id,
    createdAt: new Date(delivery.created_at),
    eventType: delivery.event_type,
    idempotencyKey: delivery.idempotency_key,
  };
}

/** The delivery as callbacks and connector hooks see it. */
export function callbackView(endpoint: OutboundEndpointRuntime, delivery: DeliveryRow) {
  return {
    id: delivery.id,
    endpointCode: endpoint.code,
    eventType: delivery.event_type,
    payload: delivery.payload,
    context: delivery.context ?? {},
    attempts: delivery.attempts,
    idempotencyKey: delivery.idempotency_key,
    createdAt: new Date(delivery.created_at),
  };
}

/**
 * A linked endpoint with a blank targetHost takes its kind's base URL; the kind's extra
 * headers go on top of header rules and endpoint auth (connector auth always wins).
 */
export function shapeOf(endpoint: OutboundEndpointRuntime, linked: Linked | null): Shape {
  if (!linked) return { spec: endpoint.spec };
  const targetHost =
    endpoint.spec.targetHost ||
    linked.kind.outboundBaseUrl(linked.connector, linked.delivery) ||
    '';
  return {
    spec: { ...endpoint.spec, targetHost },
    connectorHeaders: linked.kind.outboundExtraHeaders(linked.connector, linked.delivery),
  };
}

/** The request for `payload`; `headers` (a `mutate` rule's) go after the endpoint's header rules. */
export function buildDeliveryRequest(
  shape: Shape,
  delivery: DeliveryRow,
  payload: unknown,
  headers?: Record<string, string>,
): OutboundRequest {
  const spec = headers
    ? {
        ...shape.spec,
        headerRules: [
          ...shape.spec.headerRules,
          ...Object.entries(headers).map(([name, value]) => ({
            name,
            // Values are already evaluated data: escape braces so they are not re-templated.
            value: escapeTemplate(String(value)),
          })),
        ],
      }
    : shape.spec;
  return buildOutboundRequest({
    spec,
    payload,
    context: delivery.context ?? {},
    delivery: deliveryFacts(delivery),
    connectorHeaders: shape.connectorHeaders,
    files: shape.files,
    now: new Date(),
  });
}

/** The connector of a linked endpoint, with the delivery as its kind's hooks see it. */
export async function linkedConnector(
  connectors: ConnectorLookup,
  endpoint: OutboundEndpointRuntime,
  delivery: DeliveryRow,
): Promise<Linked | null> {
  if (!endpoint.connectorId) return null;
  const found = await connectors.resolve(endpoint.connectorId);
  if (!found) {
    throw new ProcessingConfigurationError(
      `connector ${endpoint.connectorId} of endpoint "${endpoint.code}" no longer exists`,
    );
  }
  return {
    ...found,
    delivery: { ...callbackView(endpoint, delivery), codeSuffix: endpoint.codeSuffix },
  };
}
