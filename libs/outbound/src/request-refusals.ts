import type { DataSource } from 'typeorm';
import { storableText } from '@app/core';
import { DeliveryIntakeRepository } from '@app/persistence/repositories/delivery-intake.repository';

/**
 * Publish requests the intake refuses (SPEC §5): kept as rows of
 * `outbound_request_refusals` and counted, never dropped with a log line, so an operator
 * can list what a producer sent that could not become a delivery, and why.
 *
 * - `malformed`: the job data breaks the `outbound-requests` contract;
 * - `unknown_job`: a job name the intake does not handle;
 * - `unknown_tenant`: `tenant` names no tenant (renamed, deleted, mistyped);
 * - `too_large`: a `deliver` job's files exceed DELIVER_FILE_MAX_BYTES or
 *   DELIVER_FILES_MAX_TOTAL_BYTES (decoded);
 * - `unstorable`: Postgres refused the data itself (a data exception, SQLSTATE class 22,
 *   or a program limit, class 54): retrying cannot help.
 */
export const REFUSAL_REASONS = [
  'malformed',
  'unknown_job',
  'unknown_tenant',
  'too_large',
  'unstorable',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Refusal {
  /** Unique per job, stable across re-runs of the same job. */
  jobKey: string;
  jobName: string;
  tenant: string | null;
  reason: RefusalReason;
  message: string;
  data: unknown;
}

/** How much of a refused job's data is kept: enough to see what was sent. */
export const REFUSAL_DATA_PREFIX_CHARS = 4096;
const TEXT_PREFIX_CHARS = 1024;

/** A bounded prefix of outside text, made storable (core's one rule: NUL and lone surrogates → U+FFFD). */
function storable(text: string, max: number): string {
  // Cutting may split a surrogate pair; storableText turns the lone half into U+FFFD too.
  return storableText(text.slice(0, max));
}

function jsonText(data: unknown): string {
  try {
    // JSON text escapes NUL and lone surrogates itself (`\u0000`, `\udc00`).
    return JSON.stringify(data) ?? 'undefined';
  } catch (error) {
    return `<not serialisable: ${String(error)}>`;
  }
}

export class RequestRefusals {
  private readonly repository = new DeliveryIntakeRepository();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records the refusal once per job; a re-run of the same job adds nothing. The row
   * belongs to the tenant the job named (none named: `default`, as for a delivery) if that
   * tenant exists now, looked up in the same statement rather than through the intake's
   * cache; otherwise `tenant_id` stays null and only the `default` tenant sees the row
   * (admin API, `GET /api/v1/outbound-request-refusals`).
   */
  async record(refusal: Refusal): Promise<void> {
    const data = jsonText(refusal.data);
    await this.repository.recordRefusal(this.dataSource, {
      jobKey: storable(refusal.jobKey, TEXT_PREFIX_CHARS),
      jobName: storable(refusal.jobName, TEXT_PREFIX_CHARS),
      tenant: refusal.tenant === null ? null : storable(refusal.tenant, TEXT_PREFIX_CHARS),
      reason: `${refusal.reason}: ${storable(refusal.message, TEXT_PREFIX_CHARS)}`,
      data: storable(data, REFUSAL_DATA_PREFIX_CHARS),
      dataBytes: Buffer.byteLength(data),
    });
  }
}

/**
 * Whether Postgres refused a statement because of the data it was given (SQLSTATE class
 * 22, data exception: NUL in jsonb, an invalid value; class 54, program limit exceeded),
 * which no retry can change. Anything else — connection lost, refused, timed out,
 * server shutting down — is taken as transient.
 */
export function isDataRefusedByPostgres(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code =
    (error as { code?: unknown }).code ??
    (error as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof code === 'string' && code.length === 5 && ['22', '54'].includes(code.slice(0, 2));
}
