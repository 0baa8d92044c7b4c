import { QueryFailedError } from 'typeorm';
import { isDataRefusedByPostgres } from './request-refusals';

describe('isDataRefusedByPostgres', () => {
  it('takes data exceptions and program limits as final', () => {
    // 22P05: unsupported Unicode escape (NUL in jsonb); 54000: program limit exceeded.
    for (const code of ['22P05', '22021', '54000']) {
      expect(isDataRefusedByPostgres(Object.assign(new Error('x'), { code }))).toBe(true);
      const wrapped = new QueryFailedError('SELECT', [], Object.assign(new Error('x'), { code }));
      expect(isDataRefusedByPostgres(wrapped)).toBe(true);
    }
  });

  it('takes connection failures, shutdowns and anything unknown as transient', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('deadlock'), { code: '40P01' }),
      new Error('Connection terminated unexpectedly'),
      null,
      'oops',
    ]) {
      expect(isDataRefusedByPostgres(error)).toBe(false);
    }
  });
});
