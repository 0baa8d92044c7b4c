export type DeliveryIdentityPolicy = 'delivery_header' | 'idempotency_key' | 'raw_body_sha256';
export type ReplayIdentityPolicy = 'none' | 'business_event' | 'idempotency_key';

export interface IdentityConfig {
  delivery?: { policy: DeliveryIdentityPolicy; header?: string };
  replay?: { policy: ReplayIdentityPolicy; path?: string; header?: string };
}

export interface RequestIdentities {
  deliveryIdentity: string | null;
  replayIdentity: string | null;
}
