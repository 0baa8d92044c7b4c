import { ProcessingConfigurationError } from '../errors/errors';
import type { EvaluationScope } from '../extraction/value-source.types';
import { signOutbound } from '../signature/outbound-signing';
import { authHeaders, authQueryParams } from './auth';
import {
  deriveMultipartBoundary,
  encodeForm,
  encodeMultipart,
  type MultipartFilePart,
} from './form';
import { assertValidHeader, setHeader } from './header-merge';
import { applyPayloadRules } from './payload-rules';
import { bodyModeProblem, resolveQueryParams } from './query-rules';
import {
  HTTP_METHODS,
  type BodyMode,
  type BuildRequestInput,
  type OutboundRequest,
} from './request.types';
import { renderHeaderTemplate, renderTemplate } from './template';
import { appendQuery, joinUrl, parseHttpUrl } from './url';

/**
 * Builds the HTTP request of one outbound delivery (SPEC §5 pipeline), purely: the same
 * input — spec, payload, context, delivery and `now` — gives the same bytes, so a rebuilt
 * request carries the same signature. Header layers, each overriding the previous one
 * case-insensitively: content type → header rules → endpoint auth → connector headers
 * (connector auth always wins) → signature headers. Every problem is a
 * ProcessingConfigurationError (an UnresolvedTokenError for a missing `{token}`), which
 * the dispatcher maps to `error`, not to a retry.
 *
 * `bodyMode: "none"` (the only mode of GET and HEAD) sends no body and no content type;
 * query rules carry payload fields in the URL instead. Signatures cover the body, so a
 * body-less request is signed over the empty body (Standard Webhooks: `<id>.<timestamp>.`).
 */

export function buildOutboundRequest(input: BuildRequestInput): OutboundRequest {
  const { spec, delivery, context } = input;
  if (!(HTTP_METHODS as readonly string[]).includes(spec.method)) {
    throw new ProcessingConfigurationError(`Unsupported HTTP method "${String(spec.method)}"`);
  }
  const mismatch = bodyModeProblem(spec.method, spec.bodyMode);
  if (mismatch) throw new ProcessingConfigurationError(mismatch);

  const scope: EvaluationScope = {
    payload: input.payload,
    context,
    event: deliveryEventFields(delivery),
  };
  const payload = applyPayloadRules(input.payload, spec.payloadRules, spec.replacePayload, scope);
  const files = input.files ?? [];
  if (files.length > 0 && spec.bodyMode !== 'multipart') {
    throw new ProcessingConfigurationError(
      `The delivery carries ${files.length} file(s), but the endpoint's body mode is ${spec.bodyMode}: only multipart sends files`,
    );
  }
  const { body, contentType } = encodeBody(spec.bodyMode, payload, delivery.id, files);

  const path = renderTemplate(spec.targetPath ?? '', context);
  const url = appendQuery(joinUrl(spec.targetHost ?? '', path), [
    ...resolveQueryParams(spec.queryRules, scope),
    ...authQueryParams(spec.auth),
  ]);
  parseHttpUrl(url);

  // A request without a body has no content type (a header rule may still set one).
  const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
  for (const rule of spec.headerRules ?? []) {
    if (typeof rule.name !== 'string' || rule.name.trim() === '') {
      throw new ProcessingConfigurationError('A header rule has no name');
    }
    setHeader(headers, rule.name.trim(), renderHeaderTemplate(rule.value, context));
  }
  // A multipart body is unreadable without its boundary, so its content type is not
  // overridable by header rules.
  if (spec.bodyMode === 'multipart' && contentType) setHeader(headers, 'Content-Type', contentType);
  for (const [name, value] of Object.entries(authHeaders(spec.auth)))
    setHeader(headers, name, value);
  for (const [name, value] of Object.entries(input.connectorHeaders ?? {})) {
    setHeader(headers, name, value);
  }
  const signature = signOutbound(spec.signing ?? { type: 'none' }, {
    id: delivery.id,
    timestampSeconds: Math.floor(input.now.getTime() / 1000),
    body,
  });
  for (const [name, value] of Object.entries(signature)) setHeader(headers, name, value);
  for (const [name, value] of Object.entries(headers)) assertValidHeader(name, value);

  return { method: spec.method, url, headers, bodyMode: spec.bodyMode, body };
}

/**
 * The `{kind:"event"}` fields of a delivery, as payload rules see them; outbound handler
 * rules should get the same object so both read the same names.
 */
export function deliveryEventFields(
  delivery: BuildRequestInput['delivery'],
): Record<string, unknown> {
  return {
    id: delivery.id,
    createdAt: delivery.createdAt.toISOString(),
    eventType: delivery.eventType ?? null,
    idempotencyKey: delivery.idempotencyKey ?? null,
  };
}

function encodeBody(
  mode: BodyMode,
  payload: unknown,
  deliveryId: string,
  files: readonly MultipartFilePart[],
): { body: Buffer; contentType: string | null } {
  switch (mode) {
    case 'none':
      return { body: Buffer.alloc(0), contentType: null };
    case 'json':
      return { body: Buffer.from(toJson(payload), 'utf8'), contentType: 'application/json' };
    case 'form':
      return { body: encodeForm(payload), contentType: 'application/x-www-form-urlencoded' };
    case 'multipart':
      return encodeMultipart(payload, deriveMultipartBoundary(deliveryId, payload, files), files);
    default:
      throw new ProcessingConfigurationError(`Unsupported body mode "${String(mode)}"`);
  }
}

function toJson(payload: unknown): string {
  try {
    return JSON.stringify(payload) ?? 'null';
  } catch (error) {
    throw new ProcessingConfigurationError(
      `The payload cannot be encoded as JSON: ${(error as Error).message}`,
    );
  }
}
