/** Delivery and replay identities of an inbound request. */
export * from './identity.types';
export {
  computeIdentities,
  DEFAULT_IDEMPOTENCY_HEADER,
  MAX_IDENTITY_LENGTH,
  type IdentitySource,
} from './compute-identities';
