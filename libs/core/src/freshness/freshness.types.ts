/** How a provider writes its timestamp; validation and the console's choices read this list. */
export const TIMESTAMP_FORMATS = ['unix_seconds', 'unix_millis', 'iso8601'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

export interface TimestampConfig {
  enabled: boolean;
  /** Header that holds the timestamp on its own (`X-Slack-Request-Timestamp`). */
  header?: string;
  /** Or a parameter inside a header (`Stripe-Signature` → `t`). */
  headerParam?: { name: string; param: string };
  format?: TimestampFormat;
  maxAgeSeconds?: number;
  maxFutureSkewSeconds?: number;
}
