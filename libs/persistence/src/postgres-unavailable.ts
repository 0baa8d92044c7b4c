/** Socket-level failures reaching Postgres (refused, reset, timed out, unreachable). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
/** SQLSTATE of a server going away: admin/crash shutdown, cannot connect now. */
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']);

/**
 * Whether `error` (a pg error, a TypeORM QueryFailedError wrapping one, or a socket error)
 * says Postgres could not be reached or went away — an outage, answered 503 — rather than a
 * statement that failed on a live server. SQLSTATE class 08 is "connection exception".
 */
export function isPostgresUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown };
  if (e.driverError !== undefined && isPostgresUnavailable(e.driverError)) return true;
  if (typeof e.code === 'string') {
    if (SOCKET_CODES.has(e.code) || SHUTDOWN_STATES.has(e.code)) return true;
    if (e.code.length === 5 && e.code.startsWith('08')) return true;
  }
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    message.startsWith('Connection terminated') ||
    message.includes('timeout exceeded when trying to connect')
  );
}
