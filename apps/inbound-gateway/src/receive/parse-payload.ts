import { PayloadValidationError } from '@app/core';

/**
 * Turns a raw body into `payload` by its declared type: JSON and urlencoded forms are
 * parsed; anything else keeps `payload` null (the raw body is always stored).
 */
export function parsePayload(contentType: string | undefined, body: Buffer): unknown {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    if (body.length === 0) return null;
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new PayloadValidationError(
        `body is declared ${type} but is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
      const existing = form[key];
      if (existing === undefined) form[key] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else form[key] = [existing, value];
    }
    return form;
  }
  return null;
}
