import type { DeliverJob, PublishJob } from '@app/messaging';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '@app/core';

/** The `outbound-requests` job contract, checked at the door: queue producers are not trusted. */
export class JobValidationError extends Error {}

function checkCommon(data: Record<string, unknown>): void {
  if (data.context !== undefined) {
    if (data.context === null || typeof data.context !== 'object' || Array.isArray(data.context)) {
      throw new JobValidationError('context must be an object of strings');
    }
    for (const [key, value] of Object.entries(data.context)) {
      if (typeof value !== 'string')
        throw new JobValidationError(`context.${key} must be a string`);
    }
  }
  if (
    data.idempotencyKey !== undefined &&
    (typeof data.idempotencyKey !== 'string' || data.idempotencyKey.length > 255)
  ) {
    throw new JobValidationError('idempotencyKey must be a string of at most 255 characters');
  }
  if (data.tenant !== undefined && typeof data.tenant !== 'string')
    throw new JobValidationError('tenant must be a string');
  if (!('payload' in data)) throw new JobValidationError('payload is required');
}

export function validateDeliverJob(raw: unknown): DeliverJob {
  if (!raw || typeof raw !== 'object') throw new JobValidationError('job data must be an object');
  const data = raw as Record<string, unknown>;
  if (data.connector !== undefined || data.suffix !== undefined) {
    if (data.endpoint !== undefined)
      throw new JobValidationError('give endpoint, or connector and suffix, not both');
    if (typeof data.connector !== 'string' || data.connector.length === 0)
      throw new JobValidationError('connector (code or id) must be a non-empty string');
    if (typeof data.suffix !== 'string' || data.suffix.length === 0)
      throw new JobValidationError('suffix must be a non-empty string');
  } else if (typeof data.endpoint !== 'string' || data.endpoint.length === 0) {
    throw new JobValidationError('endpoint (code) is required, or connector and suffix');
  }
  checkCommon(data);
  return data as unknown as DeliverJob;
}

export function validatePublishJob(raw: unknown): PublishJob {
  if (!raw || typeof raw !== 'object') throw new JobValidationError('job data must be an object');
  const data = raw as Record<string, unknown>;
  // The admin API's limit, so a queue producer cannot send what an admin could not.
  if (typeof data.eventType !== 'string' || data.eventType.length > MAX_EVENT_TYPE_LENGTH) {
    throw new JobValidationError(
      `eventType must be a string of at most ${MAX_EVENT_TYPE_LENGTH} characters`,
    );
  }
  if (!EVENT_TYPE_PATTERN.test(data.eventType) || data.eventType.includes('*')) {
    throw new JobValidationError('eventType must be a dotted name like order.paid');
  }
  checkCommon(data);
  return data as unknown as PublishJob;
}
