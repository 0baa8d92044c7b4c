import schema from './job-contract.schema.json';

/**
 * The `outbound-requests` job contract (SPEC §5 "Publishing") as producers see it: the
 * queue, the job names and each job's data. The dispatcher validates every job with the
 * same rules (core's command classes); `jobContractSchema` is them as a JSON Schema
 * (draft-07) for producers in other languages. A job the dispatcher cannot take is not
 * failed but refused and kept: `GET /api/v1/outbound-request-refusals`.
 */
export const OUTBOUND_REQUESTS_QUEUE = 'outbound-requests';
export const DELIVER_JOB = 'deliver';
export const PUBLISH_JOB = 'publish';

/** The queue prefix the apps use unless `QUEUE_PREFIX` says otherwise. */
export const DEFAULT_QUEUE_PREFIX = 'hookgate';

interface DeliverJobFields {
  /** Any JSON value but null: the body the endpoint's rules start from. */
  payload: unknown;
  /** Values for the `{token}`s of the endpoint's path and header rules. */
  context?: Record<string, string>;
  /** Unique per endpoint (at most 255 characters): a repeat answers the stored delivery. */
  idempotencyKey?: string;
  /** The tenant's name; absent: the default tenant. */
  tenant?: string;
  /** Your W3C `traceparent`: with tracing on, the intake and the send continue your trace. */
  traceparent?: string;
  /** File parts for a multipart endpoint ({@link DeliverJobFile}). */
  files?: DeliverJobFile[];
}

/**
 * A file part of a `deliver` request, sent when the endpoint's body mode is `multipart`
 * (after the payload's fields). Decoded sizes are limited by the dispatcher
 * (`DELIVER_FILE_MAX_BYTES`, default 1 MiB each; `DELIVER_FILES_MAX_TOTAL_BYTES`, default
 * 5 MiB together): over them the job is refused (`too_large`). At most 20 files.
 */
export interface DeliverJobFile {
  /** The form field name (no control characters, quotes or backslashes). */
  field: string;
  /** No control characters, quotes, slashes or backslashes; not `.` or `..`. */
  filename: string;
  /** `type/subtype`; default `application/octet-stream`. */
  contentType?: string;
  /** The bytes, standard padded base64. */
  contentBase64: string;
}

/** `deliver` to one endpoint, by its code (at most 200 characters). */
export interface DeliverToEndpointJob extends DeliverJobFields {
  endpoint: string;
}

/**
 * `deliver` to a connector's endpoint (SPEC §7): `connector` is the connector's code (or
 * id), `suffix` the endpoint's code suffix, so services need not know the technical
 * prefix the endpoint code is built from.
 */
export interface DeliverToConnectorJob extends DeliverJobFields {
  connector: string;
  suffix: string;
}

export type DeliverJob = DeliverToEndpointJob | DeliverToConnectorJob;

/** `publish`: fans out to every active endpoint subscribed to `eventType` (no wildcards). */
export interface PublishJob {
  eventType: string;
  payload: unknown;
  context?: Record<string, string>;
  idempotencyKey?: string;
  tenant?: string;
  /** Your W3C `traceparent`: with tracing on, the intake and the send continue your trace. */
  traceparent?: string;
}

/**
 * The job contract as a JSON Schema (draft-07): validate a `deliver` job's data against
 * `#/definitions/deliver`, a `publish` job's against `#/definitions/publish`. The same
 * document is the package file `@hookgate/client/job-contract.schema.json`.
 */
export const jobContractSchema: Readonly<Record<string, unknown>> = schema;

/**
 * Options for the jobs a producer adds, the ones {@link HookgatePublisher} uses. The
 * dispatcher's intake never fails a job (a request it cannot take is refused and kept, one
 * it cannot take yet waits without using an attempt), so these only matter if a job
 * throws past it:
 * - `attempts` ≥ 5 and exponential `backoff`: such a job is tried again, not dropped;
 * - `removeOnFail: false`: a job that failed anyway stays in the queue's failed set, the
 *   only copy of the request (never clean failed jobs of `outbound-requests`);
 * - `removeOnComplete: true`: Postgres is the record once the intake took the job.
 * Give no `jobId`: the idempotency key, not the job id, is what absorbs repeats.
 */
export const PUBLISH_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: false,
} as const;
