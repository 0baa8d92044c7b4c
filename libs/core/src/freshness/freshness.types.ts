export type TimestampFormat = 'unix_seconds' | 'unix_millis' | 'iso8601';

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
