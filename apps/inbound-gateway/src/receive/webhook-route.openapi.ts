import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';

/**
 * The OpenAPI description of `ANY /webhooks/<path>` (SPEC §4, contract). The route is raw
 * Express (see webhook-route.ts), so Nest cannot describe it: this is its description.
 */
const errorBody = (code: string, reason?: string) => ({
  'application/json': {
    schema: {
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'string' }, reason: { type: 'string' } },
    },
    example: reason ? { error: code, reason } : { error: code },
  },
});

const operation = (method: 'GET' | 'POST' | 'PUT'): OperationObject => ({
  operationId: `receiveWebhook${method[0]}${method.slice(1).toLowerCase()}`,
  tags: ['webhooks'],
  summary: `Receive a webhook (${method})`,
  description:
    'Any method is accepted. The endpoint configured for `<path>` (it may contain `/`) ' +
    'verifies the signature and freshness, drops repeats, stores the event and answers ' +
    'once it is committed in Postgres. Handshakes (Slack `url_verification`, Meta ' +
    "`hub.challenge`, Zoom `endpoint.url_validation`) are answered when enabled; Zoom's " +
    'only when its `x-zm-signature` verifies under the secret token (else 401).',
  parameters: [
    {
      name: 'path',
      in: 'path' as const,
      required: true,
      description: 'the inbound endpoint path, e.g. `github/acme`',
      schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9/_-]*$' },
    },
  ],
  ...(method === 'POST'
    ? {
        requestBody: {
          description: 'the provider’s payload: JSON, form-encoded, XML or anything (stored raw)',
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
      }
    : {}),
  responses: {
    '202': {
      description: 'accepted: stored as `received` and queued for processing',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              id: { type: 'string', format: 'uuid' },
              state: { type: 'string', enum: ['received'] },
            },
          },
        },
      },
    },
    '200': {
      description:
        'a repeat of a stored event (`{ id, duplicate: true }`), or a handshake answer (its ' +
        'provider’s shape)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { id: { type: 'string', format: 'uuid' }, duplicate: { type: 'boolean' } },
          },
        },
      },
    },
    '400': {
      description: 'stale timestamp, unreadable or invalid payload (stored as `rejected`)',
      content: errorBody('timestamp_invalid', 'timestamp is older than 300 seconds'),
    },
    '401': {
      description: 'signature missing or wrong (stored as `rejected`, within the endpoint budget)',
      content: errorBody('signature_invalid', 'no signature matched'),
    },
    '404': { description: 'no active endpoint at this path', content: errorBody('not_found') },
    '413': {
      description: 'body larger than the endpoint’s `maxBodyBytes`',
      content: errorBody('payload_too_large'),
    },
    '503': {
      description: 'Postgres unreachable: nothing stored, the provider should retry',
      content: errorBody('unavailable'),
    },
  },
});

export function describeWebhookRoute(document: OpenAPIObject): void {
  document.paths['/webhooks/{path}'] = {
    post: operation('POST'),
    get: operation('GET'),
    put: operation('PUT'),
  };
  document.tags = [
    ...(document.tags ?? []),
    { name: 'webhooks', description: 'the public receiver (SPEC §4)' },
  ];
}
