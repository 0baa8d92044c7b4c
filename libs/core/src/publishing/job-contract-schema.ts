import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../subscriptions';
import {
  MAX_ENDPOINT_REF_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  NO_WILDCARD_PATTERN,
  TRACEPARENT_PATTERN,
  PUBLISH_COMMAND_MESSAGES as M,
} from './publish-commands';
import {
  BASE64_PATTERN,
  FILE_CONTENT_TYPE_PATTERN,
  FILE_FIELD_PATTERN_SOURCE,
  FILENAME_PATTERN_SOURCE,
  MAX_DELIVER_FILES,
  MAX_FILE_CONTENT_TYPE_LENGTH,
  MAX_FILE_FIELD_LENGTH,
  MAX_FILENAME_LENGTH,
} from './deliver-files';

/**
 * The `outbound-requests` job contract as a JSON Schema (draft-07, which every mainstream
 * validator reads, Python's `jsonschema` included), built from the limits and patterns of
 * the validated command classes beside it. `npm run client:generate` writes it to
 * `libs/client/src/job-contract.schema.json`, which `@hookgate/client` ships for
 * producers in other languages; a test validates one corpus with both and expects the
 * same verdicts, and another fails when the committed file is stale.
 *
 * Validate a `deliver` job's data against `#/definitions/deliver` and a `publish` job's
 * against `#/definitions/publish` (the job name is not part of the data).
 */
const endpointRef = (description: string) => ({
  type: 'string',
  minLength: 1,
  maxLength: MAX_ENDPOINT_REF_LENGTH,
  description,
});

function commonProperties() {
  return {
    payload: {
      description: `${M.payload}: any JSON value but null; the body the endpoint's rules start from`,
      not: { type: 'null' },
    },
    context: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'values for the {token}s of the endpoint path and header rules',
    },
    idempotencyKey: {
      type: 'string',
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      description:
        'unique per endpoint: a repeat answers the stored delivery. Lists the deliveries it made: GET /api/v1/deliveries?idempotencyKey=',
    },
    tenant: {
      type: 'string',
      description: "the tenant's name; absent: the default tenant",
    },
    traceparent: {
      type: 'string',
      pattern: TRACEPARENT_PATTERN.source,
      description:
        "the publisher's W3C trace context: with tracing on, the intake and the send continue this trace",
    },
  };
}

export function jobContractSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Hookgate outbound-requests job contract',
    description:
      'Data of the jobs a producer adds to the BullMQ queue `outbound-requests` (under the ' +
      "apps' QUEUE_PREFIX, default `hookgate`): job name `deliver` → #/definitions/deliver, " +
      'job name `publish` → #/definitions/publish. A job the dispatcher cannot take is not ' +
      'failed but refused: kept in GET /api/v1/outbound-request-refusals.',
    definitions: {
      deliver: {
        type: 'object',
        description:
          'one delivery to one endpoint: by code, or by connector (code or id) and suffix',
        properties: {
          endpoint: endpointRef('the outbound endpoint code'),
          connector: endpointRef("the connector's code or id (with suffix)"),
          suffix: endpointRef("the connector endpoint's code suffix (with connector)"),
          files: {
            type: 'array',
            maxItems: MAX_DELIVER_FILES,
            description:
              "file parts for an endpoint whose bodyMode is multipart, sent after the payload's " +
              'fields; decoded sizes are limited by the dispatcher (DELIVER_FILE_MAX_BYTES, ' +
              'default 1 MiB each; DELIVER_FILES_MAX_TOTAL_BYTES, default 5 MiB together): over ' +
              'them the job is refused (too_large)',
            items: {
              type: 'object',
              properties: {
                field: {
                  type: 'string',
                  minLength: 1,
                  maxLength: MAX_FILE_FIELD_LENGTH,
                  pattern: FILE_FIELD_PATTERN_SOURCE,
                },
                filename: {
                  type: 'string',
                  minLength: 1,
                  maxLength: MAX_FILENAME_LENGTH,
                  pattern: FILENAME_PATTERN_SOURCE,
                },
                contentType: {
                  type: 'string',
                  minLength: 1,
                  maxLength: MAX_FILE_CONTENT_TYPE_LENGTH,
                  pattern: FILE_CONTENT_TYPE_PATTERN.source,
                  description: 'default application/octet-stream',
                },
                contentBase64: { type: 'string', pattern: BASE64_PATTERN.source },
              },
              required: ['field', 'filename', 'contentBase64'],
              additionalProperties: false,
            },
          },
          ...commonProperties(),
        },
        required: ['payload'],
        additionalProperties: false,
        oneOf: [
          {
            required: ['endpoint'],
            not: { anyOf: [{ required: ['connector'] }, { required: ['suffix'] }] },
          },
          { required: ['connector', 'suffix'], not: { required: ['endpoint'] } },
        ],
      },
      publish: {
        type: 'object',
        description: 'fans out to every active (or draft) endpoint subscribed to eventType',
        properties: {
          eventType: {
            type: 'string',
            maxLength: MAX_EVENT_TYPE_LENGTH,
            allOf: [
              { pattern: EVENT_TYPE_PATTERN.source },
              { pattern: NO_WILDCARD_PATTERN.source },
            ],
            description: 'a dotted name like order.paid, without wildcards',
          },
          ...commonProperties(),
        },
        required: ['eventType', 'payload'],
        additionalProperties: false,
      },
    },
    anyOf: [{ $ref: '#/definitions/deliver' }, { $ref: '#/definitions/publish' }],
  };
}
