import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { prepareDatabase } from '@app/persistence';
import { loadConfigOrExit, serveOpenApiJson } from '@app/platform';
import { InboundGatewayModule } from './app.module';
import { InboundGatewayConfig } from './config';
import { ReceiveService } from './receive/receive.service';
import { mountWebhookRoute } from './receive/webhook-route';
import { describeWebhookRoute } from './receive/webhook-route.openapi';

/** Boots the inbound gateway: config, database (created, migrated under a lock), HTTP. */
export async function createInboundGateway(
  config: InboundGatewayConfig,
): Promise<NestExpressApplication> {
  const dataSource = await prepareDatabase(config.DATABASE_URL, {
    applicationName: 'hookgate-inbound-gateway',
    poolSize: config.DB_POOL_SIZE,
  });
  const app = await NestFactory.create<NestExpressApplication>(
    InboundGatewayModule.register({ config, dataSource }),
    { bodyParser: false, bufferLogs: true },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.enableShutdownHooks();
  mountWebhookRoute(app.getHttpAdapter().getInstance(), app.get(ReceiveService), {
    error: (message, error) => logger.error({ err: error }, message),
  });
  serveOpenApiJson(
    app,
    {
      title: 'Hookgate inbound gateway',
      description: 'The public webhook receiver, plus health and metrics.',
    },
    describeWebhookRoute,
  );
  return app;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(InboundGatewayConfig);
  const app = await createInboundGateway(config);
  await app.listen(config.INBOUND_PORT, config.HOST);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `inbound-gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
