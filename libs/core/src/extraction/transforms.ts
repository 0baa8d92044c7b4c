import { ProcessingConfigurationError } from '../errors/errors';
import { resolveValue } from './resolve-value';
import {
  ABSENT,
  type EvaluationScope,
  type ValueSource,
  type ValueTransform,
} from './value-source.types';

/**
 * Value transforms (SPEC §3 assignments, §5 payload rules) and resolution with a default.
 *
 * Conventions, chosen so a transform never invents data:
 * - `null` passes through every transform except `json` (which renders `"null"`): a null is
 *   "no value" and turning it into `""`, `0` or `false` would hide that.
 * - A value that cannot be converted (`"abc"` as a number, `"maybe"` as a boolean, an
 *   unparsable date) throws ProcessingConfigurationError with an operator-readable reason.
 * - A default replaces an ABSENT value and is used as configured (not transformed): the
 *   operator wrote the exact value they want.
 */

export const VALUE_TRANSFORMS: readonly ValueTransform[] = [
  'string',
  'number',
  'boolean',
  'lowercase',
  'uppercase',
  'iso_date',
  'json',
];

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'off', '']);
// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter splits a digit run two ways and backtracks.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Below this magnitude a numeric timestamp is read as seconds, above it as milliseconds. */
const SECONDS_CEILING = 1e11;

export function applyTransform(value: unknown, transform: ValueTransform): unknown {
  if (value === ABSENT) return ABSENT;
  if (value === null && transform !== 'json') return null;
  switch (transform) {
    case 'string':
      return toText(value);
    case 'number':
      return toNumber(value);
    case 'boolean':
      return toBoolean(value);
    case 'lowercase':
      return toText(value).toLowerCase();
    case 'uppercase':
      return toText(value).toUpperCase();
    case 'iso_date':
      return toIsoDate(value);
    case 'json':
      return toJson(value);
    default:
      throw new ProcessingConfigurationError(`Unknown transform "${String(transform)}"`, {
        transform,
      });
  }
}

export interface TransformedSource {
  source: ValueSource;
  transform?: ValueTransform;
  /** Used (as is) when the source resolves to nothing. */
  default?: unknown;
}

/** Resolves a source, falls back to its default when ABSENT, otherwise applies its transform. */
export function resolveWithTransform(spec: TransformedSource, scope: EvaluationScope): unknown {
  const value = resolveValue(spec.source, scope);
  if (value === ABSENT) return spec.default === undefined ? ABSENT : spec.default;
  return spec.transform ? applyTransform(value, spec.transform) : value;
}

/** The text form of a value: strings as is, scalars stringified, dates ISO, the rest JSON. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value instanceof Date) return toIsoDate(value);
  if (value === null || value === undefined) return '';
  return toJson(value);
}

function toNumber(value: unknown): number {
  let result = Number.NaN;
  if (typeof value === 'number') result = value;
  else if (typeof value === 'bigint') result = Number(value);
  else if (typeof value === 'boolean') result = value ? 1 : 0;
  else if (typeof value === 'string' && DECIMAL.test(value.trim())) result = Number(value.trim());
  else if (value instanceof Date) result = value.getTime();
  if (!Number.isFinite(result)) {
    throw new ProcessingConfigurationError(`Cannot convert ${describe(value)} to a number`, {
      transform: 'number',
    });
  }
  return result;
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new ProcessingConfigurationError(
    `Cannot convert ${describe(value)} to a boolean (use true/false, 1/0, yes/no, on/off)`,
    { transform: 'boolean' },
  );
}

function toIsoDate(value: unknown): string {
  let date: Date | undefined;
  if (value instanceof Date) date = value;
  else if (typeof value === 'number') date = fromEpoch(value);
  else if (typeof value === 'string') {
    const text = value.trim();
    date = DECIMAL.test(text) ? fromEpoch(Number(text)) : new Date(text);
  }
  if (!date || Number.isNaN(date.getTime())) {
    throw new ProcessingConfigurationError(`Cannot convert ${describe(value)} to a date`, {
      transform: 'iso_date',
    });
  }
  return date.toISOString();
}

/** Epoch numbers in the wild are both seconds (Stripe, Slack) and milliseconds (JS). */
function fromEpoch(value: number): Date | undefined {
  if (!Number.isFinite(value)) return undefined;
  return new Date(Math.abs(value) < SECONDS_CEILING ? value * 1000 : value);
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    throw new ProcessingConfigurationError(
      `Cannot render the value as JSON: ${(error as Error).message}`,
      { transform: 'json' },
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
