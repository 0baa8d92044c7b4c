import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from './error-codes';

/**
 * The admin API's OpenAPI document (`/api/docs`, `/api/docs-json`) and the decorators
 * every controller uses to describe its answers, so each route documents its success body
 * and its errors in the contract shape `{ statusCode, error, code, message, details? }`.
 * `admin-openapi.e2e-spec.ts` fails, naming the route, when one is left undocumented.
 */
export class FieldProblemDoc {
  @ApiProperty({ example: 'signature.digest' })
  field: string;

  @ApiProperty({ example: ['digest must be one of: sha1, sha256, sha512'] })
  problems: string[];
}

export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    enum: ERROR_CODES,
    enumName: 'ErrorCode',
    example: 'validation_failed',
    description:
      'stable and machine-readable: branch on this, not on `message`. `validation_failed` ' +
      '(a bad field or query), `malformed_request` (unreadable JSON or URL), `unauthorized`, ' +
      '`forbidden`, `not_found`, `conflict` (a duplicate or an illegal state transition), ' +
      '`idempotency_key_in_use` (the first request with this `Idempotency-Key` is still ' +
      'running), `idempotency_key_reused` (the key came with another request), ' +
      '`payload_too_large`, `unsupported_media_type`, `internal_error`, `unavailable`, ' +
      '`request_failed` (any other 4xx)',
  })
  code: ErrorCode;

  @ApiProperty({ example: 'validation failed: name, signature.digest' })
  message: string;

  @ApiPropertyOptional({
    description:
      'on a validation 400: one entry per bad field (the first 50), each with all of its problems; ' +
      'on a 409 for an illegal transition: `{ currentState }`',
    oneOf: [
      { type: 'array', items: { $ref: getSchemaPath(FieldProblemDoc) } },
      { type: 'object', additionalProperties: true },
    ],
  })
  details?: FieldProblemDoc[] | Record<string, unknown>;
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422;

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'invalid input: `details` lists every bad field',
  401: 'no API key, or an unknown or revoked one',
  403: 'the key’s role may not do this (configuration changes need an admin key; a publisher key only publishes and reads deliveries)',
  404: 'no such entity in the caller’s tenant',
  409:
    'conflict: a duplicate code/path, an illegal state transition, or an `Idempotency-Key` ' +
    'whose first request is still running',
  422: 'the `Idempotency-Key` was used before with another request (method, path or body)',
};

const ERROR_EXAMPLES: Record<ErrorStatus, ErrorResponse> = {
  400: {
    statusCode: 400,
    error: 'Bad Request',
    code: 'validation_failed',
    message: 'validation failed: name, signature.digest',
    details: [
      { field: 'name', problems: ['name must be a string'] },
      { field: 'signature.digest', problems: ['digest must be one of: sha1, sha256, sha512'] },
    ],
  },
  401: {
    statusCode: 401,
    error: 'Unauthorized',
    code: 'unauthorized',
    message: 'missing bearer API key',
  },
  403: {
    statusCode: 403,
    error: 'Forbidden',
    code: 'forbidden',
    message: 'this action needs an admin key',
  },
  404: { statusCode: 404, error: 'Not Found', code: 'not_found', message: 'not found' },
  409: { statusCode: 409, error: 'Conflict', code: 'conflict', message: 'already exists' },
  422: {
    statusCode: 422,
    error: 'Unprocessable Entity',
    code: 'idempotency_key_reused',
    message: 'Idempotency-Key "order-42" was used with another request',
  },
};

/** Documents error answers of a route (or of every route, on a controller class). */
export function ApiErrors(...statuses: ErrorStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: ERROR_DESCRIPTIONS[status],
        type: ErrorResponse,
        example: ERROR_EXAMPLES[status],
      }),
    ),
  );
}

/**
 * What a bulk action (reprocess, replay) answers with `dryRun: true`: how many rows it
 * would act on now, so a confirmation can say so. Nothing changed, nothing audited.
 */
export class MatchedResponse {
  @ApiProperty({ example: 12, description: 'how many the action would act on now' })
  matched: number;
}

/** Documents a keyset page `{ items: T[], nextCursor }` of `item`. */
export function ApiPageResponse(item: Type<unknown>, description: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiResponse({
      status: 200,
      description,
      schema: {
        type: 'object',
        required: ['items', 'nextCursor'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          nextCursor: {
            type: 'string',
            nullable: true,
            description: 'pass as `cursor` for the next page; null on the last page',
            example: 'WyIyMDI2LTExLTMwVDEyOjAwOjAwLjAwMFoiLCIwMTkzLi4uIl0',
          },
        },
      },
    }),
  );
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Hookgate admin API')
      .setDescription(
        'Configuration and operations for the Hookgate webhook gateway. Every `/api/v1` route ' +
          'needs `Authorization: Bearer <key>`: an operator key reads everything and acts on ' +
          'events and deliveries; configuration changes need an admin key; a publisher key ' +
          '(a backend service’s) only publishes and reads deliveries. Errors answer ' +
          '`{ statusCode, error, code, message, details? }` where `code` is stable and ' +
          'machine-readable. Creating POSTs honour an `Idempotency-Key` header (see its ' +
          'parameter). The queue UI (Bull Board) is at `/api/queues`, for admin keys of the ' +
          'default tenant (see docs/operations.md).',
      )
      .setVersion('1')
      .addServer(
        'http://{host}:{port}',
        'the admin app (`ADMIN_PORT`, 3001 by default); behind a proxy, its public origin',
        {
          host: { default: 'localhost', description: 'where the admin app listens' },
          port: { default: '3001', description: '`ADMIN_PORT`' },
        },
      )
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'an admin, operator or publisher API key',
      })
      .build(),
    { extraModels: [ErrorResponse, FieldProblemDoc] },
  );
  // The same licence as package.json; DocumentBuilder would add an empty `url`.
  document.info.license = { name: 'UNLICENSED' };
  // Health and metrics take no key: say so (`security: []`) rather than leave it unsaid.
  for (const [path, operations] of Object.entries(document.paths)) {
    if (path.startsWith('/api/')) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = operations[method];
      if (operation) operation.security ??= [];
    }
  }
  return document;
}

/** Serves the UI at `/api/docs` and the JSON at `/api/docs-json`. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
  });
}
