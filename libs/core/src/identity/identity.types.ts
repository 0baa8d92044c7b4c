/**
 * The identity policies (SPEC §5), each with what an operator reads and the setting it takes
 * (`header`, `path`): validation (resolve-inbound-security.ts) and the console's choices
 * (capabilities/) derive from these lists.
 */
export const DELIVERY_IDENTITY_POLICIES = {
  delivery_header: { label: 'A delivery header', fields: ['header'] },
  idempotency_key: { label: 'The Idempotency-Key header', fields: ['header'] },
  raw_body_sha256: { label: 'SHA-256 of the raw body', fields: [] },
} as const satisfies Record<string, { label: string; fields: readonly IdentityField[] }>;
export type DeliveryIdentityPolicy = keyof typeof DELIVERY_IDENTITY_POLICIES;

export const REPLAY_IDENTITY_POLICIES = {
  none: { label: 'None', fields: [] },
  business_event: { label: 'A payload field', fields: ['path'] },
  idempotency_key: { label: 'An idempotency header', fields: ['header'] },
} as const satisfies Record<string, { label: string; fields: readonly IdentityField[] }>;
export type ReplayIdentityPolicy = keyof typeof REPLAY_IDENTITY_POLICIES;

/** A policy's own setting besides `policy`. */
export type IdentityField = 'header' | 'path';

export interface IdentityConfig {
  delivery?: { policy: DeliveryIdentityPolicy; header?: string };
  replay?: { policy: ReplayIdentityPolicy; path?: string; header?: string };
}

export interface RequestIdentities {
  deliveryIdentity: string | null;
  replayIdentity: string | null;
}
