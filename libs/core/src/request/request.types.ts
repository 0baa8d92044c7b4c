import type { ValueSource, ValueTransform } from '../extraction/value-source.types';
import type { OutboundSigningConfig } from '../signature/signature.types';

/** The methods and body modes an outbound request may use (validation and clients read these). */
export const HTTP_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'HEAD'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const BODY_MODES = ['json', 'form', 'multipart', 'none'] as const;
export type BodyMode = (typeof BODY_MODES)[number];

/** Methods whose requests carry no body (RFC 9110 gives a GET or HEAD body no meaning). */
export const BODILESS_METHODS: readonly HttpMethod[] = ['GET', 'HEAD'];

/** A fully built request, ready to send. Headers are final (signature included). */
export interface OutboundRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  bodyMode: BodyMode;
  body: Buffer;
}

export interface HeaderRule {
  name: string;
  /** May hold `{token}`s resolved from the delivery context. */
  value: string;
}

export interface PayloadRule {
  /** Body path to set (`customer.email`, `items.0.sku`). */
  path: string;
  source: ValueSource;
  transform?: ValueTransform;
  default?: unknown;
}

/**
 * One query parameter of the request URL, set from a value source (a payload field, the
 * context, a literal…): how a body-less request (`bodyMode: "none"`, GET) carries data.
 */
export interface QueryRule {
  /** Parameter name, sent percent-encoded. */
  name: string;
  source: ValueSource;
  transform?: ValueTransform;
  default?: unknown;
}

export type EndpointAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'api_key'; in: 'header' | 'query'; name: string; value: string };

/** The parts of an outbound endpoint that shape its requests (secrets already decrypted). */
export interface RequestSpec {
  method: HttpMethod;
  bodyMode: BodyMode;
  /** Absolute base URL (`https://api.example.com/v1`); a connector may supply it. */
  targetHost: string;
  /** Path template with `{token}` placeholders from the context (`/orders/{orderId}`). */
  targetPath: string;
  headerRules: HeaderRule[];
  payloadRules: PayloadRule[];
  replacePayload: boolean;
  /** Query parameters appended to the URL (after any in the path template). */
  queryRules?: QueryRule[];
  signing: OutboundSigningConfig;
  auth: EndpointAuth;
}

export interface BuildRequestInput {
  spec: RequestSpec;
  payload: unknown;
  context: Record<string, unknown>;
  /** Delivery facts for signing (`webhook-id`) and `{kind:"event"}` sources. */
  delivery: {
    id: string;
    createdAt: Date;
    eventType?: string | null;
    idempotencyKey?: string | null;
  };
  /** Headers a connector adds on top of header rules (connector auth wins). */
  connectorHeaders?: Record<string, string>;
  /** A deliver request's file parts: only a `multipart` body can carry them. */
  files?: ReadonlyArray<{ field: string; filename: string; contentType?: string; data: Buffer }>;
  /** Signing time; passed in so building stays deterministic. */
  now: Date;
}
