import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { HandlerRegistry } from '@app/core';
import { prepareDatabase } from '@app/persistence';
import { loadConfigOrExit, serveOpenApiJson } from '@app/platform';
import { OutboundDispatcherModule } from './app.module';
import { OutboundDispatcherConfig } from './config';

/** Boots the dispatcher: config, database (migrated under a lock), health/metrics HTTP. */
export async function createDispatcher(
  config: OutboundDispatcherConfig,
  options: { registry?: HandlerRegistry } = {},
): Promise<NestExpressApplication> {
  const dataSource = await prepareDatabase(config.DATABASE_URL, {
    applicationName: 'hookgate-outbound-dispatcher',
    poolSize: config.DB_POOL_SIZE,
    migrate: config.MIGRATE_ON_BOOT,
  });
  const app = await NestFactory.create<NestExpressApplication>(
    // `registry` replaces the shipped callbacks (tests register failing ones).
    OutboundDispatcherModule.register({ config, dataSource, registry: options.registry }),
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  serveOpenApiJson(app, {
    title: 'Hookgate outbound dispatcher',
    description: 'A worker; its HTTP server serves only health and metrics.',
  });
  return app;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(OutboundDispatcherConfig);
  const app = await createDispatcher(config);
  await app.listen(config.DISPATCHER_PORT, config.HOST);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `outbound-dispatcher failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
