/** Timestamp freshness checks for inbound requests. */
export * from './freshness.types';
export {
  checkFreshness,
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_FUTURE_SKEW_SECONDS,
  DEFAULT_TIMESTAMP_FORMAT,
} from './check-freshness';
