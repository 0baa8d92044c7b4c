import type { Params } from 'nestjs-pino';

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

export function loggerOptions(app: string, level: string): Params {
  return {
    pinoHttp: {
      level,
      base: { app },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      autoLogging: {
        ignore: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics',
      },
    },
  };
}
