import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/**
 * A small OpenAPI 3 document for the apps without an admin API (the gateway and the
 * dispatcher): their Nest routes (health, metrics) plus whatever `extend` adds, served as
 * JSON only at `/api/docs-json` (no UI on a public receiver).
 */
export function serveOpenApiJson(
  app: INestApplication,
  info: { title: string; description: string },
  extend: (document: OpenAPIObject) => void = () => undefined,
): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(info.title)
      .setDescription(info.description)
      .setVersion('1')
      .build(),
  );
  extend(document);
  SwaggerModule.setup('api/docs', app, document, {
    ui: false,
    raw: ['json'],
    jsonDocumentUrl: 'api/docs-json',
  });
  return document;
}
