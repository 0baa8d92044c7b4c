import type { DeliverJob, PublishJob } from '@app/messaging';
import {
  DeliverJobCommand,
  deliverFilesOverLimits,
  PublishJobCommand,
  validateCommand,
  type CommandProblem,
  type DeliverFileLimits,
} from '@app/core';

/**
 * The `outbound-requests` job contract, checked at the door: queue producers are not
 * trusted. The rules are core's command classes, the same the admin API validates its
 * `POST /deliveries` and `POST /events` bodies with (plus `tenant`).
 */
export class JobValidationError extends Error {}

/** A well-formed `deliver` job whose files exceed the configured sizes: refused `too_large`. */
export class FilesTooLargeError extends Error {}

function describe(problems: CommandProblem[]): string {
  return problems.flatMap((p) => p.problems).join('; ');
}

function validated<T extends object>(type: new () => T, raw: unknown): T {
  const result = validateCommand(type, raw);
  if (result.problems) throw new JobValidationError(describe(result.problems));
  // Plain data without the fields the job left out, as the intake stores and logs it.
  return Object.fromEntries(
    Object.entries(result.value).filter(([, value]) => value !== undefined),
  ) as T;
}

export function validateDeliverJob(raw: unknown, limits?: DeliverFileLimits): DeliverJob {
  const job = validated(DeliverJobCommand, raw) as DeliverJob;
  const over = limits && job.files ? deliverFilesOverLimits(job.files, limits) : [];
  if (over.length > 0) {
    throw new FilesTooLargeError(over.map((p) => `${p.field}: ${p.problem}`).join('; '));
  }
  return job;
}

export function validatePublishJob(raw: unknown): PublishJob {
  return validated(PublishJobCommand, raw) as PublishJob;
}
