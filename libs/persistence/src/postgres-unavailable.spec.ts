import { isPostgresUnavailable } from './postgres-unavailable';

describe('isPostgresUnavailable', () => {
  it('takes socket failures, connection-exception and shutdown states as an outage', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '08006', '08001', '57P01']) {
      expect(isPostgresUnavailable(Object.assign(new Error('x'), { code }))).toBe(true);
    }
    expect(isPostgresUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isPostgresUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    // TypeORM's QueryFailedError keeps the pg error as driverError.
    expect(isPostgresUnavailable({ message: 'q', driverError: { code: '08003' } })).toBe(true);
  });

  it('leaves statements that failed on a live server, and non-errors, alone', () => {
    for (const code of ['23505', '22P02', '42P01', '40001', 'ENOENT']) {
      expect(isPostgresUnavailable(Object.assign(new Error('x'), { code }))).toBe(false);
    }
    expect(isPostgresUnavailable({ message: 'q', driverError: { code: '23505' } })).toBe(false);
    expect(isPostgresUnavailable(new Error('boom'))).toBe(false);
    expect(isPostgresUnavailable(null)).toBe(false);
    expect(isPostgresUnavailable('Connection terminated')).toBe(false);
  });
});
