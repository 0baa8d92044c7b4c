import type { BaseConfig } from '@app/platform';
import { json, type OptionsJson } from 'body-parser';
import type { RequestHandler } from 'express';

/**
 * The admin's JSON body limits. Every route takes at most BODY_LIMIT_BYTES, except
 * `POST /api/v1/deliveries`, whose `files` (base64, so 4/3 of their decoded size) may
 * reach DELIVER_FILES_MAX_TOTAL_BYTES beside a payload. Each limit is its own parser's, so
 * it holds whether the length is declared (refused 413 before a byte is read) or the body
 * comes chunked (read up to the limit, then refused 413).
 */
export const BODY_LIMIT_BYTES = 2 * 1_048_576;

export function deliverBodyLimitBytes(config: BaseConfig): number {
  return Math.ceil((config.DELIVER_FILES_MAX_TOTAL_BYTES * 4) / 3) + BODY_LIMIT_BYTES;
}

const DELIVERIES_PATH = /^\/api\/v1\/deliveries\/?$/;

/**
 * Express middleware parsing JSON bodies: `POST /api/v1/deliveries` with the deliveries
 * limit, every other route with BODY_LIMIT_BYTES. `verify` runs on each parsed body.
 */
export function jsonBodyParser(
  config: BaseConfig,
  verify: NonNullable<OptionsJson['verify']>,
): RequestHandler {
  const deliveries = json({ limit: deliverBodyLimitBytes(config), verify });
  const others = json({ limit: BODY_LIMIT_BYTES, verify });
  return (req, res, next) => {
    const parser = req.method === 'POST' && DELIVERIES_PATH.test(req.path) ? deliveries : others;
    parser(req, res, next);
  };
}
