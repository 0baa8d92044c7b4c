import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '@app/core';
import { prepareDatabase } from '@app/persistence';
import { loadConfigOrExit } from '@app/platform';
import { AdminModule } from './app.module';
import {
  ensureBootstrapKey,
  ensureFirstRunKey,
  firstRunBanner,
  type FirstRunOutcome,
  NO_ADMIN_KEY_MESSAGE,
} from './auth/bootstrap-key';
import { jsonBodyParser } from './common/body-limits';
import { setupOpenApi } from './common/openapi';
import { requestIdMiddleware } from './common/request-id';
import { createValidationPipe, StorableInputPipe } from './common/validation';
import { serveConsole } from './console/serve-console';
import { AdminConfig } from './config';

/** What the first start without ADMIN_API_KEY did, for `announceFirstRun` after listen. */
const firstRuns = new WeakMap<NestExpressApplication, FirstRunOutcome>();

/**
 * Boots the admin API: config, database (migrated under a lock), bootstrap key (or, on a
 * first run without one, a generated key), OpenAPI, and the operator console at /console.
 */
export async function createAdmin(config: AdminConfig): Promise<NestExpressApplication> {
  const dataSource = await prepareDatabase(config.DATABASE_URL, {
    applicationName: 'hookgate-admin',
    poolSize: config.DB_POOL_SIZE,
    migrate: config.MIGRATE_ON_BOOT,
  });
  const bootstrap = await ensureBootstrapKey(dataSource, config.ADMIN_API_KEY);
  const firstRun = await ensureFirstRunKey(dataSource, {
    configuredKey: config.ADMIN_API_KEY,
    production: config.NODE_ENV === 'production',
  });
  const app = await NestFactory.create<NestExpressApplication>(
    AdminModule.register({ config, dataSource }),
    {
      bufferLogs: true,
    },
  );
  // First, so that every answer has it, a refused body or an unknown route's 404 too.
  app.use(requestIdMiddleware);
  const logger = app.get(Logger);
  app.useLogger(logger);
  if (bootstrap.revoked > 0) {
    logger.warn(
      `ADMIN_API_KEY changed: revoked ${bootstrap.revoked} earlier bootstrap key(s) (see GET /api/v1/audit)`,
    );
  }
  if (bootstrap.configuredRevoked) {
    logger.warn('ADMIN_API_KEY was revoked by an operator and does not work: set a new one');
  }
  if (firstRun.kind === 'missing') logger.warn(NO_ADMIN_KEY_MESSAGE);
  firstRuns.set(app, firstRun);
  app.enableShutdownHooks();
  app.useGlobalPipes(new StorableInputPipe(), createValidationPipe());
  // Before Nest's own parsers, which then find each JSON body read already.
  app.use(jsonBodyParser(config, refuseDeepJson));
  setupOpenApi(app);
  serveConsole(app);
  return app;
}

/**
 * JSON nested past MAX_JSON_DEPTH is refused with 400 before it is parsed: validation,
 * JSON.stringify and jsonb all recurse per level, and the chaos fuzzer saw such bodies end
 * as 500s. body-parser turns an error with `status` into that answer.
 */
function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonNestingExceeds(body.toString('utf8'))) {
    throw Object.assign(new Error(`body nests deeper than ${MAX_JSON_DEPTH} levels`), {
      status: 400,
      type: 'entity.too.deep',
    });
  }
}

/**
 * Once the app listens: prints the key a first run created (on stdout, plain text, whatever
 * LOG_LEVEL says: it is shown this once) with the console and API URLs.
 */
export function announceFirstRun(
  app: NestExpressApplication,
  write: (text: string) => void = (text) => process.stdout.write(text),
): void {
  const outcome = firstRuns.get(app);
  if (outcome?.kind !== 'created') return;
  const address = app.getHttpServer().address() as { address: string; port: number };
  const host = ['0.0.0.0', '::', ''].includes(address.address)
    ? '127.0.0.1'
    : address.address.includes(':')
      ? `[${address.address}]`
      : address.address;
  write(firstRunBanner(outcome.key, `http://${host}:${address.port}`));
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(AdminConfig);
  const app = await createAdmin(config);
  await app.listen(config.ADMIN_PORT, config.HOST);
  announceFirstRun(app);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `admin failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
