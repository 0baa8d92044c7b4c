/**
 * Owns assembling the exact bytes a sender signed from the configured ordered parts.
 */
import { Buffer } from 'node:buffer';
import { SignatureValidationError } from '../errors/errors';
import { getHeader, getHeaderParam } from '../extraction/headers';
import type { SignableRequest, SignedPart } from './signature.types';

/**
 * Concatenates `parts` with no separator (separators are `literal` parts). The body is
 * used as raw bytes — never re-serialised — because any re-encoding breaks the signature.
 * A header the message needs but the request lacks makes the request unverifiable, so it is
 * reported as a signature failure naming the header.
 */
export function buildSignedMessage(parts: readonly SignedPart[], req: SignableRequest): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(part.kind === 'body' ? req.rawBody : Buffer.from(textOf(part, req), 'utf8'));
  }
  return Buffer.concat(chunks);
}

function textOf(part: Exclude<SignedPart, { kind: 'body' }>, req: SignableRequest): string {
  switch (part.kind) {
    case 'literal':
      return part.value;
    case 'method':
      return req.method;
    case 'path':
      return req.path;
    case 'url':
      return req.url;
    case 'header': {
      const value = getHeader(req.headers, part.name);
      if (value === undefined) {
        throw new SignatureValidationError(
          `missing header ${part.name}, which is part of the signed message`,
          { header: part.name },
        );
      }
      return value;
    }
    case 'header_param': {
      const value = getHeaderParam(req.headers, part.name, part.param);
      if (value === undefined) {
        throw new SignatureValidationError(
          `missing parameter ${part.param} in header ${part.name}, which is part of the signed message`,
          { header: part.name, param: part.param },
        );
      }
      return value;
    }
  }
}
