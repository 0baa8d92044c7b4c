import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { HeaderBag } from '@app/core';
import {
  httpRequestDuration,
  inboundRequests,
  traceSpan,
  tracingEnabled,
  WEBHOOK_ROUTE,
} from '@app/platform';
import { parseUrlEncoded } from './parse-payload';
import type { Span } from '@opentelemetry/api';
import type { ReceiveAnswer, ReceiveService } from './receive.service';

/**
 * Serves `ANY /webhooks/<path>` on the bare `node:http` server, ahead of Express and Nest:
 * the hot path runs no Express middleware (no request/response prototype swaps, no query
 * parser, no ETag hashing), no Nest pipes, guards or interceptors and no body parser (the
 * pipeline reads the raw bytes itself, with the endpoint's size limit). Every other URL
 * goes to Express as before.
 */
const PREFIX = '/webhooks/';
const ENDPOINT_PATH = /^[a-z0-9][a-z0-9/_-]*$/;

export interface WebhookRouteLogger {
  error(message: string, error: unknown): void;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function mountWebhookRoute(
  server: Server,
  service: ReceiveService,
  logger: WebhookRouteLogger,
): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) {
    throw new Error(`expected one request listener (Express), found ${listeners.length}`);
  }
  const express = listeners[0];
  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== undefined && req.url.startsWith(PREFIX)) {
      handleWebhook(req, res, service, logger);
    } else {
      express(req, res);
    }
  });
}

function handleWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  service: ReceiveService,
  logger: WebhookRouteLogger,
): void {
  const started = process.hrtime.bigint();
  const url = req.url as string;
  const method = req.method ?? 'GET';
  const qIndex = url.indexOf('?');
  const path = qIndex === -1 ? url : url.slice(0, qIndex);
  const endpointPath = decodeSafe(path.slice(PREFIX.length));
  const finish = (
    status: number,
    body: unknown,
    headers?: Record<string, string>,
    endpoint?: string,
  ) => {
    const out: OutgoingHttpHeaders = { ...headers };
    let payload: string | undefined;
    if (typeof body === 'string') {
      payload = body;
      deleteHeader(out, 'content-type');
      out['content-type'] = 'text/plain; charset=utf-8';
    } else if (body !== null && body !== undefined) {
      payload = JSON.stringify(body);
      if (!hasHeader(out, 'content-type')) out['content-type'] = 'application/json; charset=utf-8';
    }
    if (payload !== undefined) out['content-length'] = Buffer.byteLength(payload);
    res.writeHead(status, out);
    res.end(method === 'HEAD' ? undefined : payload);
    inboundRequests.inc({ endpoint: endpoint ?? 'unmatched', status: String(status) });
    httpRequestDuration.observe(
      { method, route: WEBHOOK_ROUTE, status: String(status) },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  };
  if (endpointPath === null || !ENDPOINT_PATH.test(endpointPath)) {
    finish(404, { error: 'not_found' });
    return;
  }
  const receive = () =>
    service.receive({
      method,
      endpointPath,
      url,
      path,
      headers: req.headers as HeaderBag,
      query: parseUrlEncoded(qIndex === -1 ? '' : url.slice(qIndex + 1)),
      raw: req,
    });
  // With tracing on, a span under the HTTP server span; the stored event's processing
  // continues its trace (the traceparent travels with the event to its job). Off, the
  // hot path is as it was.
  const answered = tracingEnabled()
    ? traceSpan('receive webhook', {}, async (span) => {
        const answer = await receive();
        if (span) describeAnswer(span, answer);
        return answer;
      })
    : receive();
  answered
    .then((answer) => finish(answer.status, answer.body, answer.headers, answer.endpoint))
    .catch((error: unknown) => {
      // Postgres unreachable (or any fault before the row is committed): nothing was
      // acknowledged, so the provider's retry is the recovery.
      logger.error('webhook receive failed', error);
      if (!res.headersSent) finish(503, { error: 'unavailable' });
    });
}

function describeAnswer(span: Span, answer: ReceiveAnswer): void {
  span.setAttribute('http.response.status_code', answer.status);
  if (answer.endpoint) span.setAttribute('hookgate.endpoint.id', answer.endpoint);
  const id = answer.body && typeof answer.body === 'object' ? answer.body.id : undefined;
  if (typeof id === 'string') span.setAttribute('hookgate.event.id', id);
}

function hasHeader(headers: OutgoingHttpHeaders, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

function deleteHeader(headers: OutgoingHttpHeaders, name: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key];
}

function decodeSafe(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
