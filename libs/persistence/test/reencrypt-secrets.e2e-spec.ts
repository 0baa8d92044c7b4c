import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import {
  createSecretBox,
  prepareDatabase,
  reencryptStoredSecrets,
  type SecretBox,
} from '@app/persistence';
import type { BaseConfig } from '@app/platform';
import { databaseUrl, dropDatabase, query, uniqueName } from '../../../test/support/database';

/**
 * Key rotation against a real Postgres, in a database of its own (re-encryption scans
 * whole tables): secrets written under an old key move under the new one in batches, read
 * back to the same plaintexts with the new key alone, and a second run rewrites nothing.
 * The compiled `scripts/reencrypt.js` (npm run secrets:reencrypt) is run as a process too.
 */
const ROOT = join(__dirname, '..', '..', '..');
const b64 = (key: Buffer) => key.toString('base64');

function box(active: Buffer, previous: Buffer[] = []): SecretBox {
  return createSecretBox({
    NODE_ENV: 'production',
    SECRETS_KEY: b64(active),
    SECRETS_KEY_PREVIOUS: previous.map(b64).join(','),
  } as BaseConfig);
}

function runScript(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'reencrypt.js')], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('re-encrypting stored secrets under a new key', () => {
  const name = uniqueName('hg_reencrypt');
  const url = databaseUrl(name);
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const oldBox = box(oldKey);
  const rotatingBox = box(newKey, [oldKey]);
  const newOnly = box(newKey);
  let dataSource: DataSource;
  const plaintexts = new Map<string, string>();

  const secret = (label: string, under: SecretBox = oldBox): string => {
    const plain = `${label}-${randomBytes(6).toString('hex')}`;
    const envelope = under.encrypt(plain);
    plaintexts.set(envelope, plain);
    return envelope;
  };

  beforeAll(async () => {
    dataSource = await prepareDatabase(url, { applicationName: 'reencrypt-e2e' });
    const [{ id: tenant }] = await dataSource.query(
      `SELECT id FROM tenants WHERE name = 'default'`,
    );
    const [{ id: handler }] = await dataSource.query(
      `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode)
       VALUES ($1, 'h', 'h', 'inbound', 'rules') RETURNING id`,
      [tenant],
    );
    for (let i = 0; i < 5; i += 1) {
      await dataSource.query(
        `INSERT INTO inbound_endpoints (tenant_id, name, path, handler_id, secrets) VALUES ($1, $2, $2, $3, $4)`,
        [
          tenant,
          `in-${i}`,
          handler,
          { secret: secret('in'), secondarySecret: secret('in2'), metaVerifyToken: secret('meta') },
        ],
      );
      await dataSource.query(
        `INSERT INTO outbound_endpoints (tenant_id, code, name, secrets) VALUES ($1, $2, $2, $3)`,
        [tenant, `out-${i}`, { signingSecret: secret('sign'), authSecret: secret('auth') }],
      );
    }
    // Already rotated, and no secrets at all: both stay as they are.
    await dataSource.query(
      `INSERT INTO outbound_endpoints (tenant_id, code, name, secrets) VALUES ($1, 'fresh', 'fresh', $2), ($1, 'plain', 'plain', '{}')`,
      [tenant, { signingSecret: secret('fresh', rotatingBox) }],
    );
    for (let i = 0; i < 3; i += 1) {
      await dataSource.query(
        `INSERT INTO connectors (tenant_id, kind, code, name, credentials, technical_prefix) VALUES ($1, 'generic-http', $2, $2, $3, $2)`,
        [tenant, `c-${i}`, secret('cred')],
      );
    }
    await dataSource.query(
      `INSERT INTO connectors (tenant_id, kind, code, name, credentials, technical_prefix) VALUES ($1, 'generic-http', 'none', 'none', NULL, 'none')`,
      [tenant],
    );
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await dropDatabase(name);
  });

  async function storedEnvelopes(): Promise<string[]> {
    const rows = await query<{ envelope: string }>(
      url,
      `SELECT value AS envelope FROM inbound_endpoints, jsonb_each_text(secrets)
       UNION ALL SELECT value FROM outbound_endpoints, jsonb_each_text(secrets)
       UNION ALL SELECT credentials FROM connectors WHERE credentials IS NOT NULL`,
    );
    return rows.map((r) => r.envelope);
  }

  it('moves every secret under the active key, in batches, keeping the plaintexts', async () => {
    const before = await storedEnvelopes();
    expect(before).toHaveLength(5 * 3 + 5 * 2 + 1 + 3);
    const report = await reencryptStoredSecrets(dataSource, rotatingBox, { batchSize: 2 });
    expect(report.activeKeyId).toBe(newOnly.activeKeyId);
    expect(report.tables).toEqual({
      inbound_endpoints: { rows: 5, rewritten: 5, secrets: 15, unreadable: 0 },
      outbound_endpoints: { rows: 7, rewritten: 5, secrets: 10, unreadable: 0 },
      connectors: { rows: 3, rewritten: 3, secrets: 3, unreadable: 0 },
    });

    const after = await storedEnvelopes();
    expect(after).toHaveLength(before.length);
    const expected = before.map((envelope) => plaintexts.get(envelope)).sort();
    // The new key alone reads every one of them: the old key can be retired.
    expect(after.map((envelope) => newOnly.keyIdOf(envelope))).toEqual(
      after.map(() => newOnly.activeKeyId),
    );
    expect(after.map((envelope) => newOnly.decrypt(envelope)).sort()).toEqual(expected);
    expect(() => oldBox.decrypt(after[0])).toThrow(/not configured/);
  });

  it('rewrites nothing on a second run (the compiled npm script)', async () => {
    const before = await storedEnvelopes();
    const run = await runScript({
      DATABASE_URL: url,
      SECRETS_KEY: b64(newKey),
      SECRETS_KEY_PREVIOUS: b64(oldKey),
    });
    expect(run.output).toContain('inbound_endpoints: 5 rows, 0 rewritten');
    expect(run.output).toContain('connectors: 3 rows, 0 rewritten');
    expect(run.code).toBe(0);
    expect((await storedEnvelopes()).sort()).toEqual(before.sort());
  });

  it('reports secrets under an unknown key, leaves them and exits 1', async () => {
    const stranger = box(randomBytes(32));
    const orphan = stranger.encrypt('orphan');
    await query(url, `UPDATE connectors SET credentials = $1 WHERE code = 'c-0'`, [orphan]);
    const next = randomBytes(32);
    const run = await runScript({
      DATABASE_URL: url,
      SECRETS_KEY: b64(next),
      SECRETS_KEY_PREVIOUS: b64(newKey),
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain('connectors: 3 rows, 2 rewritten, 2 secrets moved, 1 UNREADABLE');
    const [row] = await query<{ credentials: string }>(
      url,
      `SELECT credentials FROM connectors WHERE code = 'c-0'`,
    );
    expect(row.credentials).toBe(orphan);
    expect(run.output).not.toContain('orphan');
  });
});
