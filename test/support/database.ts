import { Client } from 'pg';

/** Extra databases for tests that need an empty one of their own (e.g. migration races). */
export function adminUrl(): string {
  return process.env.HOOKGATE_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The id of the tenant the initial migration creates, `default`. */
export async function defaultTenantId(url = process.env.DATABASE_URL!): Promise<string> {
  const [row] = await query<{ id: string }>(url, `SELECT id FROM tenants WHERE name = 'default'`);
  return row.id;
}
