import { Client } from 'pg';
import { deleteRunKeys } from './redis';

/** Drops the run's database and deletes the run's queue keys (derived prefixes too). */
export default async function globalTeardown(): Promise<void> {
  const database = process.env.HOOKGATE_TEST_DATABASE;
  const adminUrl = process.env.HOOKGATE_TEST_PG_ADMIN_URL;
  if (database && adminUrl && process.env.HOOKGATE_KEEP_TEST_DB !== '1') {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      const workers = Number(process.env.HOOKGATE_TEST_WORKERS ?? '1');
      for (let worker = 1; worker <= workers && workers > 1; worker++) {
        await client.query(`DROP DATABASE IF EXISTS "${database}_w${worker}" WITH (FORCE)`);
      }
    } finally {
      await client.end();
    }
  }
  const prefix = process.env.QUEUE_PREFIX;
  if (prefix && process.env.REDIS_URL) await deleteRunKeys(prefix);
}
