/**
 * What a connector kind sees of a connector and of a delivery. Plain data: credentials
 * arrive decrypted, nothing here is an ORM entity, so kinds are unit-testable with
 * literals.
 */
export interface ConnectorRuntime {
  id: string;
  tenantId: string;
  kind: string;
  code: string;
  name: string;
  active: boolean;
  /** As configured; a kind may derive its outbound base URL from it (or ignore it). */
  baseUrl: string | null;
  /** Decrypted; never logged, never answered by the API. */
  credentials: Record<string, string>;
  settings: Record<string, unknown>;
  technicalPrefix: string;
}

/** The delivery a kind's outbound hooks are asked about. */
export interface ConnectorDelivery {
  id: string;
  endpointCode: string;
  /** The linked endpoint's suffix (`customers` of `stripe-<id>-customers`). */
  codeSuffix: string | null;
  eventType: string | null;
  payload: unknown;
  context: Record<string, unknown>;
  idempotencyKey: string | null;
  attempts: number;
}

/** The fields a kind may use to derive its technical prefix, before the row exists. */
export interface ConnectorIdentity {
  id: string;
  kind: string;
  code: string;
}
