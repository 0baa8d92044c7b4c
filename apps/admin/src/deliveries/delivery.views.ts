import { redactHeaders, redactUrl } from '@app/core';
import type { DeliveryAdminRow, DeliveryState } from '@app/persistence';

/** What the admin API answers for deliveries (SPEC §5), and how a stored row becomes it. */
export interface DeliverySummary {
  id: string;
  endpointId: string | null;
  endpointCode: string;
  eventType: string | null;
  state: DeliveryState;
  context: Record<string, string>;
  idempotencyKey: string | null;
  isTest: boolean;
  sourceEventId: string | null;
  /** HTTP attempts made so far (the detail view lists them as `attempts`). */
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  responseStatus: number | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** What a publish answers: the delivery as stored, and whether it already existed. */
export interface DeliveryView extends DeliverySummary {
  payload: unknown;
  duplicate?: boolean;
}

export interface DeliveryAttemptView {
  attemptNumber: number;
  outcome: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  request: unknown;
  responseStatus: number | null;
  responseHeaders: Record<string, unknown> | null;
  responseBody: string | null;
  error: string | null;
  errorClass: string | null;
}

export interface DeliveryDetail extends DeliveryView {
  errorStack: string | null;
  /** The attempt log, oldest first. */
  attempts: DeliveryAttemptView[];
}

type Row = DeliveryAdminRow;
export const iso = (value: unknown): string | null =>
  value ? new Date(value as string).toISOString() : null;

export function toSummary(row: Row): DeliverySummary {
  return {
    id: String(row.id),
    endpointId: (row.endpoint_id as string | null) ?? null,
    endpointCode: String(row.endpoint_code),
    eventType: (row.event_type as string | null) ?? null,
    state: row.state as DeliveryState,
    context: (row.context as Record<string, string> | null) ?? {},
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    isTest: Boolean(row.is_test),
    sourceEventId: (row.source_event_id as string | null) ?? null,
    attemptCount: Number(row.attempts ?? 0),
    nextAttemptAt: iso(row.next_attempt_at),
    lastError: (row.last_error as string | null) ?? null,
    responseStatus: (row.response_status as number | null) ?? null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    completedAt: iso(row.completed_at),
  };
}

export function toView(row: Row): DeliveryView {
  return { ...toSummary(row), payload: row.payload ?? null };
}

export function toAttemptView(row: Row): DeliveryAttemptView {
  return {
    attemptNumber: Number(row.attempt_number),
    outcome: String(row.outcome),
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    durationMs: (row.duration_ms as number | null) ?? null,
    // Redacted when stored too (see request-snapshot.ts); again here for rows stored
    // before that, so no key ever reads a credential back (issue 21).
    request: redactSnapshot(row.request),
    responseStatus: (row.response_status as number | null) ?? null,
    responseHeaders: redactHeaders(
      (row.response_headers as Record<string, unknown> | null) ?? null,
    ),
    responseBody: (row.response_body as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    errorClass: (row.error_class as string | null) ?? null,
  };
}

/** A stored request snapshot with its credential headers and query values redacted. */
function redactSnapshot(request: unknown): unknown {
  if (request === null || request === undefined) return null;
  if (typeof request !== 'object' || Array.isArray(request)) return request;
  const snapshot = request as { headers?: unknown; url?: unknown };
  return {
    ...snapshot,
    ...(snapshot.headers !== undefined ? { headers: redactHeaders(snapshot.headers) } : {}),
    ...(typeof snapshot.url === 'string' ? { url: redactUrl(snapshot.url) } : {}),
  };
}

/** Characters of the receiver's answer a synchronous send repeats (the attempt log has more). */
export const BODY_EXCERPT_CHARS = 4096;

/** A delivery's first attempt as a synchronous send answers it. */
export interface FirstAttemptView {
  attemptNumber: number;
  outcome: string;
  status: number | null;
  headers: Record<string, unknown> | null;
  bodyExcerpt: string | null;
  bodyTruncated: boolean;
  durationMs: number | null;
  error: string | null;
  errorClass: string | null;
}

/** What `POST /deliveries?wait=` answers once the first attempt's outcome is known. */
export interface DeliveryOutcome {
  delivery: DeliveryView;
  /** Null when the delivery finished without an HTTP attempt (a rule, a gate, a dead letter). */
  attempt: FirstAttemptView | null;
}

export function toFirstAttemptView(row: Row): FirstAttemptView {
  const attempt = toAttemptView(row);
  const body = attempt.responseBody;
  return {
    attemptNumber: attempt.attemptNumber,
    outcome: attempt.outcome,
    status: attempt.responseStatus,
    headers: attempt.responseHeaders,
    bodyExcerpt: body === null ? null : body.slice(0, BODY_EXCERPT_CHARS),
    bodyTruncated: body !== null && body.length > BODY_EXCERPT_CHARS,
    durationMs: attempt.durationMs,
    error: attempt.error,
    errorClass: attempt.errorClass,
  };
}
