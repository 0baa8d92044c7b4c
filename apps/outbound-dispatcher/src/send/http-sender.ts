import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request as undiciRequest } from 'undici';
import {
  defineOwn,
  isBodilessMethod,
  type OutboundRequest,
  type SendErrorClass,
  type SendResult,
} from '@app/core';
import { injectTraceHeaders, SpanKind, traceSpan, tracingEnabled } from '@app/platform';
import {
  checkLiteralHost,
  createGuardedLookup,
  RefusedAddressError,
  type Resolver,
} from './address-policy';

/** Response bodies are kept up to this size in the attempt log (SPEC §5). */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

export interface HttpSenderOptions {
  /** `OUTBOUND_ALLOW_PRIVATE_NETWORKS`: skip the address policy (tests, local demos). */
  allowPrivateNetworks: boolean;
  /** Open connections per target origin in the keep-alive pool. */
  maxSockets: number;
  /** DNS resolution used by the guarded lookup; tests inject stubbed answers. */
  resolver?: Resolver;
  userAgent?: string;
}

/**
 * Headers the client owns: connection management and framing are per hop, and the body's
 * length is the body's. A header rule naming one of these is not sent (undici refuses
 * most of them outright, and a wrong `content-length` would corrupt the exchange).
 */
const CLIENT_OWNED_HEADERS = new Set([
  'connection',
  'content-length',
  'expect',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Sends one delivery attempt with undici over a keep-alive connection pool per origin.
 *
 * undici rather than axios: on the dispatcher's hot path axios over `node:http` cost about
 * 0.3 ms of CPU per request against 0.06 ms for undici (docs/performance.md), and the
 * dispatcher's throughput is bounded by its own CPU.
 *
 * - Redirects are never followed: a 3xx is the endpoint's answer, recorded as such.
 * - The address policy is enforced on the socket's own DNS lookup (see
 *   {@link createGuardedLookup}) and, for IP-literal hosts, before any socket is opened.
 * - `timeoutMs` bounds the whole exchange, response body included.
 * - The response body is decoded (gzip, deflate, br) and read up to
 *   {@link MAX_RESPONSE_BODY_BYTES}; the rest is dropped.
 * - Proxies from the environment are ignored: a proxy would defeat the address policy.
 */
export class HttpSender {
  private readonly dispatcher: Agent;

  constructor(private readonly options: HttpSenderOptions) {
    const lookup = options.allowPrivateNetworks ? undefined : createGuardedLookup(options.resolver);
    this.dispatcher = new Agent({
      connections: options.maxSockets,
      // The socket's own lookup: every connection's addresses pass the policy.
      connect: lookup ? { lookup } : {},
    });
  }

  /**
   * With tracing on, the exchange is a CLIENT span and the receiver gets its
   * `traceparent` (and `tracestate`) header, so its own spans join the trace.
   */
  send(request: OutboundRequest, options: { timeoutMs: number }): Promise<SendResult> {
    if (!tracingEnabled()) return this.exchange(request, options);
    return traceSpan(
      request.method,
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': request.method } },
      async (span) => {
        const result = await this.exchange(request, options, true);
        if (result.ok) span?.setAttribute('http.response.status_code', result.status);
        else span?.setAttribute('error.type', result.errorClass);
        return result;
      },
    );
  }

  private async exchange(
    request: OutboundRequest,
    options: { timeoutMs: number },
    traced = false,
  ): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return failure('invalid_url', `not a valid URL: ${request.url}`, elapsed());
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return failure('invalid_url', `unsupported scheme ${url.protocol}`, elapsed());
    }
    if (!this.options.allowPrivateNetworks) {
      const refusal = checkLiteralHost(url.hostname);
      if (refusal) return failure('refused_address', refusal.message, elapsed());
    }

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
    try {
      const headers = this.headersFor(request.headers);
      if (traced) injectTraceHeaders(headers);
      const response = await undiciRequest(url, {
        method: request.method as 'POST',
        headers,
        // A callback's own request may name any method at run time; a GET or HEAD carries
        // no empty body (no content-length either).
        body:
          request.body.length > 0 || !isBodilessMethod(request.method) ? request.body : undefined,
        dispatcher: this.dispatcher,
        signal: deadline.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const answered = flattenHeaders(response.headers);
      const { body, truncated } = await readBody(
        response.body,
        answered['content-encoding'],
        MAX_RESPONSE_BODY_BYTES,
      );
      return {
        ok: true,
        status: response.statusCode,
        headers: answered,
        body,
        truncated,
        durationMs: elapsed(),
      };
    } catch (error) {
      const { errorClass, message } = classifyError(error, deadline.signal.aborted, options);
      return failure(errorClass, message, elapsed());
    } finally {
      clearTimeout(timer);
    }
  }

  /** The request's headers, less the client-owned ones, with the default User-Agent. */
  private headersFor(headers: Record<string, string>): Record<string, string> {
    const sent: Record<string, string> = {};
    let userAgent = false;
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (CLIENT_OWNED_HEADERS.has(lower)) continue;
      if (lower === 'user-agent') userAgent = true;
      defineOwn(sent, name, value);
    }
    if (!userAgent) sent['user-agent'] = this.options.userAgent ?? 'Hookgate';
    return sent;
  }

  close(): void {
    void this.dispatcher.destroy().catch(() => undefined);
  }
}

function failure(errorClass: SendErrorClass, error: string, durationMs: number): SendResult {
  return { ok: false, errorClass, error, durationMs };
}

/** The decoder for a response's `content-encoding`, or null to keep the bytes as sent. */
function decoderFor(encoding: string | undefined) {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/**
 * Reads up to `limit` decoded bytes. Stopping early destroys the stream, so an endless body
 * cannot pin a socket. A body that cannot be decoded does not void the answer: the status
 * stands and the body records why it is missing.
 */
async function readBody(
  raw: Readable,
  encoding: string | undefined,
  limit: number,
): Promise<{ body: string; truncated: boolean }> {
  const decoder = decoderFor(encoding);
  const stream: Readable = decoder ? raw.pipe(decoder) : raw;
  if (decoder) raw.on('error', (error) => decoder.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      const room = limit - size;
      if (buffer.length > room) {
        chunks.push(buffer.subarray(0, room));
        size = limit;
        truncated = true;
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
  } catch (error) {
    // A failure of the connection is the caller's to classify; a decoding failure is not.
    if (!decoder || raw.errored || !isZlibError(error)) throw error;
    raw.destroy();
    return {
      body: `(response body not decodable as ${encoding}: ${(error as Error).message})`,
      truncated: false,
    };
  }
  if (truncated) {
    stream.destroy();
    raw.destroy();
  }
  return { body: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code === 'ERR__ERROR';
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  // A sink chooses these names: kept as data (core's untrusted-keys), own ones only.
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    defineOwn(flat, name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
  }
  return flat;
}

const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY))/;

function classifyError(
  error: unknown,
  deadlineExpired: boolean,
  options: { timeoutMs: number },
): { errorClass: SendErrorClass; message: string } {
  const cause = rootCause(error);
  if (cause instanceof RefusedAddressError) {
    return { errorClass: 'refused_address', message: cause.message };
  }
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = cause instanceof Error ? cause.message : String(cause);
  if (
    deadlineExpired ||
    code === 'ECONNABORTED' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return {
      errorClass: 'timeout',
      message: `no complete response within ${options.timeoutMs} ms`,
    };
  }
  if (code === 'ECONNREFUSED') return { errorClass: 'connection_refused', message };
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    // undici: the server closed the connection before a complete response
    code === 'UND_ERR_SOCKET'
  ) {
    return { errorClass: 'connection_reset', message };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'ENODATA') {
    return { errorClass: 'dns', message };
  }
  if (TLS_CODE.test(code)) return { errorClass: 'tls', message };
  if (
    code === 'ERR_INVALID_URL' ||
    code === 'ERR_INVALID_CHAR' ||
    code === 'ERR_INVALID_HTTP_TOKEN' ||
    // undici: a method, header name or header value that cannot go on the wire
    code === 'UND_ERR_INVALID_ARG'
  ) {
    return { errorClass: 'invalid_url', message };
  }
  return { errorClass: 'network', message: code ? `${code}: ${message}` : message };
}

/** An error without a code of its own that wraps one: the wrapped error says more. */
function rootCause(error: unknown): unknown {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (!(error as NodeJS.ErrnoException | undefined)?.code && cause instanceof Error) {
    return rootCause(cause);
  }
  return error;
}
