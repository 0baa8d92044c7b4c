import type { BaseConfig } from '@app/platform';

/**
 * The admin's JSON body limits. Every route takes at most BODY_LIMIT_BYTES, except
 * `POST /api/v1/deliveries`, whose `files` (base64, so 4/3 of their decoded size) may
 * reach DELIVER_FILES_MAX_TOTAL_BYTES beside a payload: the parser's limit is the larger
 * of the two, and a request to any other route that declares a longer body is refused 413
 * before it is read (a body without a declared length is still cut at the parser's limit).
 */
export const BODY_LIMIT_BYTES = 2 * 1_048_576;

export function deliverBodyLimitBytes(config: BaseConfig): number {
  return Math.ceil((config.DELIVER_FILES_MAX_TOTAL_BYTES * 4) / 3) + BODY_LIMIT_BYTES;
}

interface RequestLike {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Express middleware: 413 (body-parser's error shape) for long bodies outside deliveries. */
export function refuseLongBodiesOutsideDeliveries() {
  return (req: RequestLike, _res: unknown, next: (error?: unknown) => void): void => {
    const declared = Number(req.headers['content-length']);
    const deliveries = req.method === 'POST' && /^\/api\/v1\/deliveries\/?$/.test(req.path);
    if (!deliveries && Number.isFinite(declared) && declared > BODY_LIMIT_BYTES) {
      next(
        Object.assign(new Error('request entity too large'), {
          status: 413,
          type: 'entity.too.large',
        }),
      );
      return;
    }
    next();
  };
}
