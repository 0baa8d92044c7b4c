import type { Config } from '@jest/types';
import { Client } from 'pg';

/**
 * One database and one queue prefix per test run, so parallel runs never collide. The
 * values reach every test worker through the environment (workers start after this).
 * With more than one worker, each worker gets its own database and queue prefix as well
 * (`worker-env.ts` picks them by JEST_WORKER_ID), so specs running side by side never see
 * each other's rows or jobs.
 */
export default async function globalSetup(globalConfig?: Config.GlobalConfig): Promise<void> {
  const runId = `${Date.now().toString(36)}_${process.pid}`;
  const database = `hookgate_test_${runId}`;
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const workers = Math.max(1, globalConfig?.maxWorkers ?? 1);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${database}"`);
    for (let worker = 1; worker <= workers && workers > 1; worker++) {
      await client.query(`CREATE DATABASE "${database}_w${worker}"`);
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  process.env.DATABASE_URL = url.toString();
  process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  process.env.QUEUE_PREFIX = `hgtest_${runId}`;
  process.env.HOOKGATE_TEST_DATABASE = database;
  process.env.HOOKGATE_TEST_WORKERS = String(workers);
  process.env.HOOKGATE_TEST_PG_ADMIN_URL = adminUrl;
}
