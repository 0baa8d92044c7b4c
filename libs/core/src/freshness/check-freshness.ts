/**
 * Owns the freshness decision: is the request's timestamp present, readable and within the
 * endpoint's window? Stale requests are replays or long-queued retries; far-future ones are
 * forged or come from a broken clock.
 */
import { FreshnessValidationError, ProcessingConfigurationError } from '../errors/errors';
import { getHeader, getHeaderParam } from '../extraction/headers';
import type { HeaderBag } from '../extraction/value-source.types';
import type { TimestampConfig, TimestampFormat } from './freshness.types';

export const DEFAULT_MAX_AGE_SECONDS = 300;
export const DEFAULT_MAX_FUTURE_SKEW_SECONDS = 300;
export const DEFAULT_TIMESTAMP_FORMAT: TimestampFormat = 'unix_seconds';

/** A zone is required: without one `Date.parse` would read the time in the server's zone. */
const ISO8601_PATTERN =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;
const UNIX_SECONDS_PATTERN = /^\d{1,15}(\.\d+)?$/;
const UNIX_MILLIS_PATTERN = /^\d{1,18}$/;
const SHOWN_VALUE_LIMIT = 64;

const FORMAT_LABELS: Record<TimestampFormat, string> = {
  unix_seconds: 'unix seconds',
  unix_millis: 'unix milliseconds',
  iso8601: 'an ISO 8601 date-time with a zone',
};

/**
 * The request's timestamp when freshness checking is enabled and it passes; null when
 * disabled. Throws FreshnessValidationError (missing, unparsable, stale, future) whose
 * reason shows the observed age and the limit, and ProcessingConfigurationError when
 * enabled with no timestamp source.
 */
export function checkFreshness(
  cfg: TimestampConfig,
  headers: HeaderBag | undefined,
  now: Date,
): Date | null {
  if (!cfg.enabled) return null;

  const format = cfg.format ?? DEFAULT_TIMESTAMP_FORMAT;
  const maxAge = cfg.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const maxSkew = cfg.maxFutureSkewSeconds ?? DEFAULT_MAX_FUTURE_SKEW_SECONDS;
  const { raw, where } = readTimestamp(cfg, headers);

  if (raw === undefined || raw.trim() === '') {
    throw new FreshnessValidationError(`missing timestamp: ${where} is absent or empty`, {
      source: where,
    });
  }

  const timestamp = parseTimestamp(raw.trim(), format);
  if (timestamp === null) {
    throw new FreshnessValidationError(
      `unparsable timestamp ${JSON.stringify(shorten(raw))} in ${where}: expected ${FORMAT_LABELS[format]}`,
      { source: where, format },
    );
  }

  const ageSeconds = (now.getTime() - timestamp.getTime()) / 1000;
  if (ageSeconds > maxAge) {
    throw new FreshnessValidationError(
      `stale timestamp: the request is ${Math.ceil(ageSeconds)} s old, the limit is ${maxAge} s (timestamp.maxAgeSeconds); the sender may be replaying it or its clock is behind`,
      { source: where, observedAgeSeconds: Math.ceil(ageSeconds), maxAgeSeconds: maxAge },
    );
  }
  if (-ageSeconds > maxSkew) {
    throw new FreshnessValidationError(
      `future timestamp: the request is ${Math.ceil(-ageSeconds)} s in the future, the limit is ${maxSkew} s (timestamp.maxFutureSkewSeconds); check the sender's clock`,
      {
        source: where,
        observedAgeSeconds: -Math.ceil(-ageSeconds),
        maxFutureSkewSeconds: maxSkew,
      },
    );
  }
  return timestamp;
}

/** A header on its own wins over a header parameter when both are configured. */
function readTimestamp(
  cfg: TimestampConfig,
  headers: HeaderBag | undefined,
): { raw: string | undefined; where: string } {
  if (cfg.header) {
    return { raw: getHeader(headers, cfg.header), where: `header ${cfg.header}` };
  }
  if (cfg.headerParam) {
    const { name, param } = cfg.headerParam;
    return {
      raw: getHeaderParam(headers, name, param),
      where: `parameter ${param} of header ${name}`,
    };
  }
  throw new ProcessingConfigurationError(
    'Timestamp checking is enabled but no source is set: set timestamp.header or timestamp.headerParam',
    { field: 'timestamp.header' },
  );
}

function parseTimestamp(raw: string, format: TimestampFormat): Date | null {
  let millis: number;
  switch (format) {
    case 'unix_seconds':
      millis = UNIX_SECONDS_PATTERN.test(raw) ? Number(raw) * 1000 : NaN;
      break;
    case 'unix_millis':
      millis = UNIX_MILLIS_PATTERN.test(raw) ? Number(raw) : NaN;
      break;
    case 'iso8601':
      millis = ISO8601_PATTERN.test(raw) ? Date.parse(raw) : NaN;
      break;
  }
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? null : date;
}

function shorten(value: string): string {
  return value.length > SHOWN_VALUE_LIMIT ? `${value.slice(0, SHOWN_VALUE_LIMIT)}…` : value;
}
