/**
 * Owns the inbound verification decision: does any offered signature match the signed
 * message under any configured secret (primary or secondary, for rotation)?
 */
import { SignatureValidationError } from '../errors/errors';
import { getHeaderValues } from '../extraction/headers';
import { computeSignature, safeEqual } from './hmac';
import { decodeSecret } from './secret';
import { extractCandidateSignatures } from './signature-header';
import { buildSignedMessage } from './signed-message';
import type { ResolvedSignatureConfig, SignableRequest } from './signature.types';

const FORMAT_HINTS: Record<
  ResolvedSignatureConfig['headerFormat'],
  (cfg: ResolvedSignatureConfig) => string
> = {
  plain: (cfg) => (cfg.prefix ? `"${cfg.prefix}<signature>"` : '"<signature>"'),
  'key-value': (cfg) => `"t=<timestamp>,${cfg.headerKey}=<signature>"`,
  'versioned-list': (cfg) => `space-separated "${cfg.version},<signature>" entries`,
};

/**
 * Returns when the request is genuine; throws SignatureValidationError otherwise, with a
 * reason an operator can act on. A secret that cannot be decoded surfaces as
 * ProcessingConfigurationError (from decodeSecret): that is the endpoint's fault, not the
 * sender's.
 */
export function verifySignature(cfg: ResolvedSignatureConfig, req: SignableRequest): void {
  const secrets = cfg.secrets.filter((secret) => secret.length > 0);
  if (secrets.length === 0) {
    throw new SignatureValidationError(
      'no secret configured: set signature.secret on the endpoint',
    );
  }

  const headerValues = getHeaderValues(req.headers, cfg.header).filter((v) => v.trim().length > 0);
  if (headerValues.length === 0) {
    throw new SignatureValidationError(`missing signature header ${cfg.header}`, {
      header: cfg.header,
    });
  }

  const candidates = extractCandidateSignatures(cfg, req.headers);
  if (candidates.length === 0) {
    throw new SignatureValidationError(
      `malformed signature header ${cfg.header}: expected ${FORMAT_HINTS[cfg.headerFormat](cfg)}`,
      { header: cfg.header, headerFormat: cfg.headerFormat },
    );
  }

  const message = buildSignedMessage(cfg.parts, req);
  for (const secret of secrets) {
    const expected = computeSignature(cfg, decodeSecret(secret, cfg.secretEncoding), message);
    // Every candidate is compared so the work done does not depend on which one matched.
    let matched = false;
    for (const candidate of candidates) {
      if (safeEqual(expected, candidate)) matched = true;
    }
    if (matched) return;
  }

  throw new SignatureValidationError(
    `no signature matched: ${candidates.length} signature(s) in ${cfg.header} checked against ${secrets.length} secret(s); check the secret, digest (${cfg.digest}), encoding (${cfg.encoding}) and signed parts`,
    { header: cfg.header, candidates: candidates.length, secrets: secrets.length },
  );
}
