import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  answerBodyHandshake,
  answerMetaHandshake,
  checkFreshness,
  computeIdentities,
  defineOwn,
  FreshnessValidationError,
  isHookgateError,
  PayloadValidationError,
  resolveValue,
  SignatureValidationError,
  uuidv7,
  verifySignature,
  type HeaderBag,
  type QueryBag,
} from '@app/core';
import { currentTraceparent, inboundRejectedUnstored } from '@app/platform';
import { BodyReadError, BodyTooLargeError, readBody } from './read-body';
import { readPayload } from './parse-payload';
import type { EndpointCache, EndpointRuntime } from './endpoint-cache';
import type { EventStore, NewInboundEvent } from './event-writer';
import { RejectedBudget } from './rejected-budget';

/**
 * The receive pipeline of SPEC §4, in its contract order: size limit → endpoint lookup →
 * signature → freshness → delivery identity → replay identity → persist → enqueue →
 * answer. It returns the answer; the HTTP adapter only writes it. Every validation error
 * is mapped here, in one place, to its status and to a stored `rejected` event.
 */
export interface ReceiveAnswer {
  status: number;
  body: Record<string, unknown> | string | null;
  headers?: Record<string, string>;
  /**
   * For metrics labels: the id of the endpoint that matched. Never its path: paths are
   * chosen by tenants, and a list of them (with which ones answer unsigned traffic) is a
   * map for an attacker.
   */
  endpoint?: string;
}

export interface ReceivedRequest {
  method: string;
  /** The endpoint path below `/webhooks/`. */
  endpointPath: string;
  /** Path and query as received. */
  url: string;
  path: string;
  headers: HeaderBag;
  query: QueryBag;
  raw: IncomingMessage;
}

export class ReceiveService {
  constructor(
    private readonly endpoints: EndpointCache,
    private readonly store: EventStore,
    private readonly rejectedBudget: RejectedBudget,
    /** REJECTED_BODY_PREFIX_BYTES: how much of a rejected request's body is stored. */
    private readonly rejectedBodyPrefixBytes: number,
  ) {}

  async receive(request: ReceivedRequest): Promise<ReceiveAnswer> {
    const endpoint = await this.endpoints.get(request.endpointPath);
    if (!endpoint) return { status: 404, body: { error: 'not_found' } };

    const metaAnswer = answerMetaHandshake(request.method, request.query, endpoint.handshakes);
    if (metaAnswer) return { ...metaAnswer, endpoint: endpoint.id };

    let rawBody: Buffer;
    try {
      rawBody = await readBody(request.raw, endpoint.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        // The rest of the body is never read: close the connection instead of draining it.
        return {
          status: 413,
          body: { error: 'payload_too_large', limit: error.limit },
          headers: { connection: 'close' },
          endpoint: endpoint.id,
        };
      }
      if (error instanceof BodyReadError)
        return { status: 400, body: { error: 'body_unreadable' }, endpoint: endpoint.id };
      throw error;
    }

    const contentType = request.headers['content-type'];
    const base: Omit<NewInboundEvent, 'state' | 'payload' | 'deliveryIdentity' | 'replayIdentity'> =
      {
        id: uuidv7(),
        tenantId: endpoint.tenantId,
        endpointId: endpoint.id,
        endpointPath: endpoint.path,
        method: request.method,
        url: request.url,
        headers: request.headers,
        query: request.query,
        rawBody,
        contentType: typeof contentType === 'string' ? contentType : null,
        semantic: {},
        // Carried, through the writer (and its thread), to the event's processing job.
        traceparent: currentTraceparent(),
      };

    let payload: unknown = null;
    try {
      if (endpoint.configurationError) {
        throw new SignatureValidationError(
          `endpoint configuration cannot verify requests: ${endpoint.configurationError}`,
        );
      }
      if (endpoint.signature) {
        verifySignature(endpoint.signature, {
          method: request.method,
          url: request.url,
          path: request.path,
          headers: request.headers,
          rawBody,
        });
      }
      if (endpoint.timestamp) checkFreshness(endpoint.timestamp, request.headers, new Date());
      const read = readPayload(base.contentType ?? undefined, rawBody);
      payload = read.value;
      const handshake = answerBodyHandshake(
        payload,
        endpoint.handshakes,
        {
          method: request.method,
          url: request.url,
          path: request.path,
          headers: request.headers,
          rawBody,
        },
        new Date(),
      );
      if (handshake) return { ...handshake, endpoint: endpoint.id };
      const identities = computeIdentities(endpoint.identity, {
        headers: request.headers,
        rawBody,
        payload,
      });
      const semantic = this.resolveSemantic(endpoint, payload, request);
      const outcome = await this.store.insert({
        ...base,
        semantic,
        state: 'received',
        payload,
        payloadJson: read.jsonText,
        ...identities,
      });
      if (outcome.duplicate) {
        return { status: 200, body: { id: outcome.id, duplicate: true }, endpoint: endpoint.id };
      }
      return { status: 202, body: { id: outcome.id, state: 'received' }, endpoint: endpoint.id };
    } catch (error) {
      if (!isHookgateError(error)) throw error;
      const status = this.statusFor(error);
      await this.storeRejected(
        endpoint,
        { ...base, payload: null, deliveryIdentity: null, replayIdentity: null },
        error,
      );
      return { status, body: { error: error.code, reason: error.reason }, endpoint: endpoint.id };
    }
  }

  private statusFor(error: { code: string }): number {
    if (error instanceof SignatureValidationError) return 401;
    if (error instanceof FreshnessValidationError || error instanceof PayloadValidationError)
      return 400;
    return 400;
  }

  private resolveSemantic(
    endpoint: EndpointRuntime,
    payload: unknown,
    request: ReceivedRequest,
  ): Record<string, unknown> {
    if (endpoint.semanticBindings.length === 0) return {};
    const semantic: Record<string, unknown> = {};
    const scope = { payload, headers: request.headers, query: request.query, semantic };
    for (const binding of endpoint.semanticBindings) {
      const value = resolveValue(binding.source, scope);
      if (typeof value !== 'symbol') defineOwn(semantic, binding.name, value);
    }
    return semantic;
  }

  private async storeRejected(
    endpoint: EndpointRuntime,
    event: Omit<NewInboundEvent, 'state' | 'rejectReason' | 'rejectCode'>,
    { reason, code }: { reason: string; code: string },
  ): Promise<void> {
    // Only a bounded prefix of the body is kept, with the whole body's size and digest (a
    // copy, so the rest of a large body is not carried to the writer thread).
    const whole = event.rawBody;
    const prefix = Buffer.alloc(Math.min(whole.length, this.rejectedBodyPrefixBytes));
    whole.copy(prefix, 0, 0, prefix.length);
    const cost =
      prefix.length +
      Buffer.byteLength(JSON.stringify(event.headers)) +
      Buffer.byteLength(JSON.stringify(event.query)) +
      Buffer.byteLength(event.url) +
      Buffer.byteLength(reason) +
      Buffer.byteLength(code);
    if (!(await this.rejectedBudget.take(endpoint.id, endpoint.rejectedPerMinute, cost))) {
      inboundRejectedUnstored.inc({ endpoint: endpoint.id });
      return;
    }
    await this.store.insert({
      ...event,
      rawBody: prefix,
      bodySize: whole.length,
      bodySha256: createHash('sha256').update(whole).digest('hex'),
      state: 'rejected',
      rejectReason: reason,
      // The typed error's stable code: what the stats class the rejection by.
      rejectCode: code,
    });
  }
}
