/**
 * The stable, machine-readable `code` of every admin error answer. Clients branch on it,
 * not on `message` (prose that may change) nor on `statusCode` alone (a 409 is a duplicate,
 * an illegal transition or an idempotency key still in flight). Adding a code is a
 * compatible change; renaming one is not.
 */
export const ERROR_CODES = [
  'validation_failed',
  'malformed_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'idempotency_key_in_use',
  'idempotency_key_reused',
  'payload_too_large',
  'unsupported_media_type',
  'internal_error',
  'unavailable',
  'request_failed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  500: 'internal_error',
  503: 'unavailable',
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The code an answer of `status` carries when the exception names none. */
export function errorCodeFor(status: number): ErrorCode {
  return BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'request_failed');
}
