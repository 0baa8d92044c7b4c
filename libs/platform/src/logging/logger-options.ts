import type { Params } from 'nestjs-pino';
import { activeTraceIds, tracingEnabled } from '../tracing/item-trace';

/** JSON logs; secrets and credentials never reach a log line. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.secret',
  '*.secondarySecret',
  '*.password',
  '*.token',
  '*.credentials',
];

/**
 * `requestContext: false` keeps nestjs-pino's request middleware (pino-http plus a
 * per-request AsyncLocalStorage context) off every Express route. On Node 20 the first
 * `AsyncLocalStorage.run` switches on V8's promise hooks for the whole process, for good —
 * one health check is enough — and from then on every promise pays for them: in a
 * `--cpu-prof` profile of the gateway under the bench's accept load, the hook callbacks
 * alone were 2.9 % of its CPU, before V8's own cost of calling them. Apps whose Express
 * side only serves `/health`, `/metrics` and `/api/docs-json` (unlogged or rarely
 * fetched) turn it off; their hot paths never had a request context to lose, and they log
 * through the root logger.
 */
export function loggerOptions(app: string, level: string, requestContext = true): Params {
  return {
    ...(requestContext ? {} : { forRoutes: [] }),
    pinoHttp: {
      level,
      base: { app },
      // With tracing on, a line logged inside a span names its trace (and span).
      ...(tracingEnabled() ? { mixin: activeTraceIds } : {}),
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      autoLogging: {
        ignore: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics',
      },
    },
  };
}
