import './tracing';
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { prepareDatabase } from '@app/persistence';
import { loadConfigOrExit, serveOpenApiJson } from '@app/platform';
import type { HandlerRegistry } from '@app/core';
import { InboundGatewayModule } from './app.module';
import { InboundGatewayConfig } from './config';
import { ReceiveService } from './receive/receive.service';
import { mountWebhookRoute } from './receive/webhook-route';
import { describeWebhookRoute } from './receive/webhook-route.openapi';

/** Boots the inbound gateway: config, database (created, migrated under a lock), HTTP. */
export async function createInboundGateway(
  config: InboundGatewayConfig,
  options: {
    writerThreadScript?: string;
    /** Callbacks to run instead of the build's own (tests register theirs). */
    registry?: HandlerRegistry;
  } = {},
): Promise<NestExpressApplication> {
  const dataSource = await prepareDatabase(config.DATABASE_URL, {
    applicationName: 'hookgate-inbound-gateway',
    poolSize: config.DB_POOL_SIZE,
    migrate: config.MIGRATE_ON_BOOT,
  });
  const app = await NestFactory.create<NestExpressApplication>(
    InboundGatewayModule.register({
      config,
      dataSource,
      writerThreadScript: options.writerThreadScript,
      registry: options.registry,
    }),
    { bodyParser: false, bufferLogs: true },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.enableShutdownHooks();
  applyRequestDeadlines(app.getHttpServer() as Server, config);
  mountWebhookRoute(app.getHttpServer() as Server, app.get(ReceiveService), {
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

/**
 * Slow senders cannot hold connections: the headers must arrive within
 * INBOUND_HEADERS_TIMEOUT_MS and the whole request within INBOUND_REQUEST_TIMEOUT_MS (Node
 * answers 408 and closes). Node checks those on a timer (`connectionsCheckingInterval`,
 * 30 s by default, armed when the server starts listening), so it runs every second here.
 * Node does not time a connection that never sends a byte at all, so a fresh connection
 * gets the headers deadline as an idle timeout until its first byte arrives.
 */
function applyRequestDeadlines(server: Server, config: InboundGatewayConfig): void {
  const headersTimeout = Math.min(
    config.INBOUND_HEADERS_TIMEOUT_MS,
    config.INBOUND_REQUEST_TIMEOUT_MS,
  );
  server.requestTimeout = config.INBOUND_REQUEST_TIMEOUT_MS;
  server.headersTimeout = headersTimeout;
  // Not in @types/node, but a plain property read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1000, headersTimeout);
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(headersTimeout, () => socket.destroy());
    socket.once('data', () => socket.setTimeout(0));
  });
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
