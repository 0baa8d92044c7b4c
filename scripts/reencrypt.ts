import { createSecretBox, prepareDatabase, reencryptStoredSecrets } from '@app/persistence';
import { BaseConfig, loadConfigOrExit } from '@app/platform';

/**
 * `npm run secrets:reencrypt`: moves every stored secret under the active `SECRETS_KEY`
 * (key rotation). Run it with the new key as SECRETS_KEY and the old one in
 * SECRETS_KEY_PREVIOUS, after every app runs with that pair; then drop the old key.
 * Idempotent and safe to run while the apps serve traffic. Exit code 1 if a secret could
 * not be read (its key is not configured): nothing else is left behind.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(BaseConfig);
  const box = createSecretBox(config);
  const dataSource = await prepareDatabase(config.DATABASE_URL, {
    applicationName: 'hookgate-reencrypt',
  });
  try {
    const report = await reencryptStoredSecrets(dataSource, box, {
      log: (line) => process.stdout.write(`${line}\n`),
    });
    let unreadable = 0;
    for (const [table, counts] of Object.entries(report.tables)) {
      unreadable += counts.unreadable;
      process.stdout.write(
        `${table}: ${counts.rows} rows, ${counts.rewritten} rewritten, ${counts.secrets} secrets moved` +
          `${counts.unreadable ? `, ${counts.unreadable} UNREADABLE` : ''}\n`,
      );
    }
    process.stdout.write(`every readable secret is now under key ${report.activeKeyId}\n`);
    if (unreadable > 0) {
      process.stderr.write(
        `${unreadable} secrets use a key that is not configured: add it to SECRETS_KEY_PREVIOUS and run again\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `reencrypt failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
