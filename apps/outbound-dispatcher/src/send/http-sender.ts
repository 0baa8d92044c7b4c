import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import {
  checkLiteralHost,
  createGuardedLookup,
  RefusedAddressError,
  type Resolver,
} from './address-policy';

/** Response bodies are kept up to this size in the attempt log (SPEC §5). */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

export type SendErrorClass =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'refused_address'
  | 'tls'
  | 'network'
  | 'invalid_url';

export type SendResult =
  | {
      ok: true;
      status: number;
      headers: Record<string, string>;
      body: string;
      truncated: boolean;
      durationMs: number;
    }
  | { ok: false; errorClass: SendErrorClass; error: string; durationMs: number };

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpSenderOptions {
  /** `OUTBOUND_ALLOW_PRIVATE_NETWORKS`: skip the address policy (tests, local demos). */
  allowPrivateNetworks: boolean;
  /** Open connections per target host in the keep-alive pool. */
  maxSockets: number;
  /** DNS resolution used by the guarded lookup; tests inject stubbed answers. */
  resolver?: Resolver;
  userAgent?: string;
}

/**
 * Sends one delivery attempt with axios over keep-alive agents.
 *
 * - Redirects are never followed: a 3xx is the endpoint's answer, recorded as such.
 * - The address policy is enforced on the socket's own DNS lookup (see
 *   {@link createGuardedLookup}) and, for IP-literal hosts, before any socket is opened.
 * - `timeoutMs` bounds the whole exchange, response body included.
 * - The response body is read up to {@link MAX_RESPONSE_BODY_BYTES}; the rest is dropped.
 * - Proxies from the environment are ignored: a proxy would defeat the address policy.
 */
export class HttpSender {
  private readonly client: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: HttpSenderOptions) {
    const lookup = options.allowPrivateNetworks ? undefined : createGuardedLookup(options.resolver);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: Math.min(options.maxSockets, 64),
      scheduling: 'lifo' as const,
      ...(lookup ? { lookup } : {}),
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.client = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      maxRedirects: 0,
      proxy: false,
      responseType: 'stream',
      validateStatus: () => true,
      transformRequest: [(data: unknown) => data],
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      decompress: true,
    });
  }

  async send(request: OutboundRequest, options: { timeoutMs: number }): Promise<SendResult> {
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
      const response = await this.client.request<Readable>({
        method: request.method,
        url: url.toString(),
        headers: {
          'User-Agent': this.options.userAgent ?? 'Hookgate',
          ...request.headers,
        },
        data: request.body.length > 0 || request.method !== 'GET' ? request.body : undefined,
        signal: deadline.signal,
        timeout: options.timeoutMs,
      });
      const { body, truncated } = await readCapped(response.data, MAX_RESPONSE_BODY_BYTES);
      return {
        ok: true,
        status: response.status,
        headers: flattenHeaders(response.headers as Record<string, unknown>),
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

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function failure(errorClass: SendErrorClass, error: string, durationMs: number): SendResult {
  return { ok: false, errorClass, error, durationMs };
}

async function readCapped(
  stream: Readable,
  limit: number,
): Promise<{ body: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
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
  // Leaving the loop early destroys the stream, so an endless body cannot pin a socket.
  if (truncated) stream.destroy();
  return { body: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

function flattenHeaders(headers: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
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
    code === AxiosError.ETIMEDOUT
  ) {
    return {
      errorClass: 'timeout',
      message: `no complete response within ${options.timeoutMs} ms`,
    };
  }
  if (code === 'ECONNREFUSED') return { errorClass: 'connection_refused', message };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return { errorClass: 'connection_reset', message };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'ENODATA') {
    return { errorClass: 'dns', message };
  }
  if (TLS_CODE.test(code)) return { errorClass: 'tls', message };
  if (
    code === 'ERR_INVALID_URL' ||
    code === 'ERR_INVALID_CHAR' ||
    code === 'ERR_INVALID_HTTP_TOKEN'
  ) {
    return { errorClass: 'invalid_url', message };
  }
  return { errorClass: 'network', message: code ? `${code}: ${message}` : message };
}

/** Axios wraps socket errors; the socket's own error carries the useful code. */
function rootCause(error: unknown): unknown {
  if (error instanceof AxiosError) {
    const cause = (error as AxiosError & { cause?: unknown }).cause;
    if (cause instanceof Error) return rootCause(cause);
    return error;
  }
  return error;
}

export type HttpVerdict = 'success' | 'retry' | 'error';

/**
 * SPEC §5 outcome rules: 2xx done; network failures, timeouts, DNS failures, 408, 429 and
 * 5xx are retried; a refused address, an invalid URL, a redirect and any other 4xx are
 * final errors.
 */
export function classifyHttpOutcome(result: SendResult): HttpVerdict {
  if (!result.ok) {
    return result.errorClass === 'refused_address' || result.errorClass === 'invalid_url'
      ? 'error'
      : 'retry';
  }
  const { status } = result;
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'error';
}

/**
 * Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or null when
 * absent or unparseable. Capping by `maxDelaySeconds` is the retry policy's job.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number(value);
  // Every HTTP-date form starts with the day name; anything else (say "-5") is malformed.
  if (!/^[A-Za-z]/.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
