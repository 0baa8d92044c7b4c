import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/platform';
import { AdminModule } from '../app.module';
import { AdminConfig } from '../config';
import { buildOpenApiDocument } from './openapi';

/**
 * The admin API's OpenAPI document without a database, Redis or a listening port: Nest's
 * preview mode resolves the module graph (controllers, routes, DTO metadata) but
 * instantiates no provider, so nothing connects. `npm run client:generate` writes it to
 * libs/client and the client's staleness test compares it with the committed copy.
 */
export async function createAdminOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig(AdminConfig, {
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    REDIS_URL: 'redis://127.0.0.1:1',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
  });
  const dataSource = new DataSource({ type: 'postgres', url: config.DATABASE_URL });
  const app = await NestFactory.create(AdminModule.register({ config, dataSource }), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
