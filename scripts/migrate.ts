import { prepareDatabase } from '@app/persistence';
import { BaseConfig, loadConfigOrExit } from '@app/platform';

/** `npm run migrate`: creates the database if missing and applies pending migrations. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(BaseConfig);
  const dataSource = await prepareDatabase(config.DATABASE_URL, {
    applicationName: 'hookgate-migrate',
  });
  const applied = await dataSource.query(`SELECT name FROM migrations ORDER BY id`);
  process.stdout.write(
    `database is at: ${applied.map((m: { name: string }) => m.name).join(', ')}\n`,
  );
  await dataSource.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
