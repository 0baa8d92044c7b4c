import type { INestApplication } from '@nestjs/common';
import { startAdminApp } from '../../../test/support/harness';
import { getMetadataStorage } from 'class-validator';
import { METHODS } from 'node:http';
import { validateOpenApi } from '../../../test/support/openapi';

/**
 * The admin app's OpenAPI document against what the running app really serves: it is a
 * valid OpenAPI 3 document, and every route Express has registered (whoever added the
 * controller) appears in it with a summary, a described success answer, its path
 * parameters and, under /api/v1, the bearer scheme and the 401 error shape. A failure
 * names each route and what it lacks.
 */
type Operation = {
  operationId?: string;
  summary?: string;
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string }>;
  responses?: Record<string, { description?: string; content?: unknown }>;
};
type OpenApiDoc = {
  openapi: string;
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

interface RegisteredRoute {
  method: string;
  path: string;
}

/**
 * Routes as Express holds them (Nest controllers, Swagger UI, anything mounted by hand).
 * A route answering every HTTP method is a middleware mount (Nest middleware such as the
 * request logger, Bull Board's UI), not an API operation.
 */
function registeredRoutes(app: INestApplication): RegisteredRoute[] {
  const express = app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  return express.router.stack.flatMap((layer) => {
    if (!layer.route) return [];
    const methods = Object.keys(layer.route.methods).filter((method) => method !== '_all');
    if (METHODS.every((method) => methods.includes(method.toLowerCase()))) return [];
    return methods.map((method) => ({ method, path: layer.route!.path }));
  });
}

/** `/api/v1/handlers/:id` → `/api/v1/handlers/{id}` (the OpenAPI template). */
const toTemplate = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The docs UI and its assets describe the API; they are not part of it. */
const isDocsRoute = (path: string): boolean => path === '/api/docs' || path.startsWith('/api/docs');

describe('admin API: OpenAPI document', () => {
  let app: INestApplication;
  let url: string;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    ({ app, url: url } = await startAdminApp({}));
    const res = await fetch(`${url}/api/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves a valid OpenAPI 3 document at /api/docs-json and the UI at /api/docs', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    const result = await validateOpenApi(doc);
    expect(result.errors).toBeNull();
    expect(result.valid).toBe(true);
    const ui = await fetch(`${url}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
  });

  it('documents every route the app registered', () => {
    const routes = registeredRoutes(app).filter((route) => !isDocsRoute(route.path));
    // The real admin API is there (guards against an enumeration that finds nothing).
    expect(routes.filter((route) => route.path.startsWith('/api/v1/')).length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const route of routes) {
      const template = toTemplate(route.path);
      const label = `${route.method.toUpperCase()} ${route.path}`;
      const operation = doc.paths[template]?.[route.method];
      if (!operation) {
        problems.push(
          `${label}: missing from /api/docs-json (is the controller @ApiExcludeController?)`,
        );
        continue;
      }
      const missing: string[] = [];
      if (!operation.summary?.trim()) missing.push('a summary (@ApiOperation({ summary }))');
      const responses = operation.responses ?? {};
      const success = Object.entries(responses).filter(
        ([status, response]) => /^2\d\d$/.test(status) && response.description?.trim(),
      );
      if (success.length === 0)
        missing.push('a described success response (@ApiOkResponse / @ApiCreatedResponse …)');
      const pathParams = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
      for (const name of pathParams) {
        if (!operation.parameters?.some((p) => p.in === 'path' && p.name === name))
          missing.push(`the path parameter "${name}"`);
      }
      if (route.path.startsWith('/api/v1/')) {
        if (!operation.security?.some((s) => 'bearer' in s))
          missing.push('the bearer scheme (@ApiBearerAuth())');
        if (!responses['401'])
          missing.push("the 401 answer (@ApiErrors(401) from 'common/openapi')");
      }
      if (missing.length > 0) problems.push(`${label}: lacks ${missing.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('documents every validated field of every request body', () => {
    // class-validator's registry holds each DTO with the properties it validates; each DTO
    // that appears in the document must show all of them (else the docs hide accepted input).
    const storage = getMetadataStorage() as unknown as {
      validationMetadatas: Map<{ name: string }, Array<{ propertyName: string }>>;
    };
    const problems: string[] = [];
    let checked = 0;
    for (const [target, metadatas] of storage.validationMetadatas) {
      const schema = doc.components.schemas[target.name];
      if (!schema) continue;
      checked += 1;
      const documented = new Set(Object.keys(schema.properties ?? {}));
      const validated = new Set(metadatas.map((m) => m.propertyName));
      const undocumented = [...validated].filter((name) => !documented.has(name));
      if (undocumented.length > 0)
        problems.push(`${target.name}: no @ApiProperty on ${undocumented.join(', ')}`);
    }
    expect(checked).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it('documents the error shape for validation, auth, role, missing and conflict answers', () => {
    const error = doc.components.schemas.ErrorResponse;
    expect(Object.keys(error.properties ?? {}).sort()).toEqual([
      'code',
      'details',
      'error',
      'message',
      'statusCode',
    ]);
    const statuses = new Set(
      Object.values(doc.paths).flatMap((ops) =>
        Object.values(ops).flatMap((op) => Object.keys(op.responses ?? {})),
      ),
    );
    for (const status of ['400', '401', '403', '404', '409', '422'])
      expect(statuses).toContain(status);
  });
  it('gives every operation an explicit, unique operationId, one per action', () => {
    const HTTP = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
    const ids: string[] = [];
    const problems: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!HTTP.has(method)) continue;
        const id = operation.operationId;
        // Nest's default is `<Class>Controller_<method>`: set `operationId` in @ApiOperation.
        if (!id || id.includes('Controller_') || !/^[a-z][A-Za-z0-9]*$/.test(id))
          problems.push(`${method.toUpperCase()} ${path}: operationId ${id ?? '(none)'}`);
        else ids.push(id);
      }
    }
    expect(problems).toEqual([]);
    expect(ids.length).toBeGreaterThan(40);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    // An action is a route of its own, not a value of a path parameter.
    expect(Object.keys(doc.paths).filter((path) => path.includes('{action}'))).toEqual([]);
    expect(ids).toEqual(
      expect.arrayContaining([
        'listDeliveries',
        'createDelivery',
        'resetDelivery',
        'queueDelivery',
        'deadLetterDelivery',
        'cancelDelivery',
        'resetInboundEvent',
        'processInboundEvent',
        'deadLetterInboundEvent',
      ]),
    );
    expect(doc.paths['/api/v1/deliveries/{id}/reset'].post.operationId).toBe('resetDelivery');
    expect(doc.servers?.length).toBeGreaterThan(0);
  });

  it('documents Idempotency-Key and its answers on every creating POST', () => {
    const creating = [
      '/api/v1/handlers',
      '/api/v1/inbound-endpoints',
      '/api/v1/outbound-endpoints',
      '/api/v1/outbound-endpoints/{id}/test',
      '/api/v1/deliveries',
      '/api/v1/events',
      '/api/v1/api-keys',
      '/api/v1/tenants',
      '/api/v1/connectors',
    ];
    const problems = creating.filter((path) => {
      const operation = doc.paths[path]?.post;
      return !(
        operation?.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key') &&
        operation.responses?.['409'] &&
        operation.responses['422']
      );
    });
    expect(problems).toEqual([]);
  });
});
