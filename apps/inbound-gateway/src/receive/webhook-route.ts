import type { Express, Request, Response } from 'express';
import type { HeaderBag } from '@app/core';
import { httpRequestDuration, inboundRequests, WEBHOOK_ROUTE } from '@app/platform';
import { parseUrlEncoded } from './parse-payload';
import type { ReceiveService } from './receive.service';

/**
 * Mounts `ANY /webhooks/<path>` directly on Express, ahead of Nest's router: the hot path
 * runs no Nest pipes, guards or interceptors and no body parser (the pipeline reads the
 * raw bytes itself, with the endpoint's size limit).
 */
const ENDPOINT_PATH = /^[a-z0-9][a-z0-9/_-]*$/;

export interface WebhookRouteLogger {
  error(message: string, error: unknown): void;
}

export function mountWebhookRoute(
  app: Express,
  service: ReceiveService,
  logger: WebhookRouteLogger,
): void {
  app.all('/webhooks/*path', (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const qIndex = req.url.indexOf('?');
    const path = qIndex === -1 ? req.url : req.url.slice(0, qIndex);
    const endpointPath = decodeSafe(path.slice('/webhooks/'.length));
    const finish = (
      status: number,
      body: unknown,
      headers?: Record<string, string>,
      endpoint?: string,
    ) => {
      if (headers) res.set(headers);
      if (typeof body === 'string') res.status(status).type('text/plain').send(body);
      else if (body === null) res.status(status).end();
      else res.status(status).json(body);
      inboundRequests.inc({ endpoint: endpoint ?? 'unmatched', status: String(status) });
      httpRequestDuration.observe(
        { method: req.method, route: WEBHOOK_ROUTE, status: String(status) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    };
    if (endpointPath === null || !ENDPOINT_PATH.test(endpointPath)) {
      finish(404, { error: 'not_found' });
      return;
    }
    service
      .receive({
        method: req.method,
        endpointPath,
        url: req.originalUrl,
        path,
        headers: req.headers as HeaderBag,
        query: parseUrlEncoded(qIndex === -1 ? '' : req.url.slice(qIndex + 1)),
        raw: req,
      })
      .then((answer) => finish(answer.status, answer.body, answer.headers, answer.endpoint))
      .catch((error: unknown) => {
        // Postgres unreachable (or any fault before the row is committed): nothing was
        // acknowledged, so the provider's retry is the recovery.
        logger.error('webhook receive failed', error);
        if (!res.headersSent) finish(503, { error: 'unavailable' });
      });
  });
}

function decodeSafe(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
