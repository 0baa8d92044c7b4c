import { Client } from 'pg';

/**
 * One database and one queue prefix per test run, so parallel runs never collide. The
 * values reach every test worker through the environment (workers start after this).
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${process.pid}`;
  const database = `hookgate_test_${runId}`;
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  process.env.DATABASE_URL = url.toString();
  process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  process.env.QUEUE_PREFIX = `hgtest_${runId}`;
  process.env.HOOKGATE_TEST_DATABASE = database;
  process.env.HOOKGATE_TEST_PG_ADMIN_URL = adminUrl;
}
