import type { NextFunction, Request, Response } from 'express';
import { httpRequestDuration } from './metrics';

/**
 * Times every HTTP answer that goes through Nest (the admin API, health, metrics) into
 * `hookgate_http_request_duration_seconds`, labelled with the route template Express
 * matched. The gateway's `/webhooks/*` route sits ahead of Nest and records itself.
 */
export function httpMetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    httpRequestDuration.observe(
      { method: req.method, route: routeTemplate(req), status: String(res.statusCode) },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  });
  next();
}

/** More methods than any controller route declares: a middleware mount (`app.all`). */
const MOUNT_METHOD_COUNT = 8;

/**
 * The template of the route that answered. `req.route` is the last route Express matched;
 * when no controller route matched (a 404), that is a middleware mount registered for
 * every method, which is reported as `unmatched` rather than as its wildcard.
 */
function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown; methods?: Record<string, boolean> } | undefined;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  if (Object.keys(route.methods ?? {}).length >= MOUNT_METHOD_COUNT) return 'unmatched';
  return `${req.baseUrl}${route.path}`;
}
