import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The operator console (apps/console, built by `npm run build` into dist/console), served
 * at `/console` on the admin origin so it calls `/api/v1` without CORS. Hashed assets are
 * cached for good; any other GET under `/console` answers index.html, so a deep link
 * (`/console/events/<id>?state=failed`) opens the right view. Only `/console` is mounted:
 * nothing here can shadow `/api`.
 */
export const CONSOLE_ROUTE = '/console';

/**
 * The console's own policy: scripts and connections to this origin only, no framing.
 * Styles allow inline attributes, which the component library sets for its CSS variables.
 */
const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** dist/console beside the built admin app, or the repo's dist/console from sources. */
export function findConsoleDir(): string | undefined {
  const candidates = [
    join(__dirname, '..', '..', '..', '..', 'console'),
    join(__dirname, '..', '..', '..', '..', 'dist', 'console'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

export function serveConsole(app: NestExpressApplication, dir = findConsoleDir()): void {
  app.use(CONSOLE_ROUTE, (_req: Request, res: Response, next: NextFunction) => {
    res.set(CONSOLE_HEADERS);
    next();
  });
  if (!dir) {
    app.use(CONSOLE_ROUTE, (_req: Request, res: Response) => {
      res
        .status(404)
        .type('text/plain')
        .send('The console is not built: run `npm run build` (it builds apps/console).\n');
    });
    return;
  }
  const assets = join(dir, 'assets');
  app.useStaticAssets(dir, {
    prefix: CONSOLE_ROUTE,
    index: false,
    setHeaders: (res: Response, path: string) => {
      if (path.startsWith(assets)) {
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      }
    },
  });
  const index = join(dir, 'index.html');
  app.use(CONSOLE_ROUTE, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('cache-control', 'no-cache');
    res.sendFile(index);
  });
}
