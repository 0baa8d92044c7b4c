/**
 * Owns reading the candidate signatures out of a signature header in its configured format.
 * Any candidate may match (rotation and multi-version senders put several in one header).
 */
import { getHeaderValues, parseHeaderParams } from '../extraction/headers';
import type { HeaderBag } from '../extraction/value-source.types';
import { trimTrailing } from '../text/trim-trailing';
import type { ResolvedSignatureConfig } from './signature.types';

export type SignatureHeaderSettings = Pick<
  ResolvedSignatureConfig,
  'header' | 'headerFormat' | 'headerKey' | 'version' | 'prefix' | 'encoding'
>;

/**
 * Every signature the request offers, ready to compare with a computed one:
 * - `plain`: the header value minus `prefix`. Repeated headers, and Node's comma-joined form
 *   of them, each count (hex and base64 never contain commas).
 * - `key-value`: every value of `headerKey` (`t=…,v1=a,v1=b` gives `a` and `b`).
 * - `versioned-list`: space-separated `<version>,<sig>` entries whose version equals
 *   `version`; other versions (e.g. asymmetric `v1a`) are ignored.
 * When `prefix` is set, a candidate without it is dropped as malformed. Hex candidates are
 * lower-cased because senders differ in hex case and computeSignature emits lower case.
 * Returns [] when the header is absent or holds nothing usable.
 */
export function extractCandidateSignatures(
  cfg: SignatureHeaderSettings,
  headers: HeaderBag | undefined,
): string[] {
  const candidates: string[] = [];
  for (const value of getHeaderValues(headers, cfg.header)) {
    for (const raw of rawCandidates(cfg, value)) {
      const candidate = stripPrefix(raw.trim(), cfg.prefix);
      if (candidate === undefined || candidate.length === 0) continue;
      candidates.push(cfg.encoding === 'hex' ? candidate.toLowerCase() : candidate);
    }
  }
  return candidates;
}

function rawCandidates(cfg: SignatureHeaderSettings, value: string): string[] {
  switch (cfg.headerFormat) {
    case 'plain':
      return value.split(',');
    case 'key-value':
      return parseHeaderParams(value).get(cfg.headerKey) ?? [];
    case 'versioned-list':
      return versionedEntries(value, cfg.version);
  }
}

/** `v1,abc v1,def v2,xyz` → the signatures tagged `version`. */
function versionedEntries(value: string, version: string): string[] {
  const found: string[] = [];
  for (const token of value.split(/\s+/)) {
    // A trailing comma appears when Node joins repeated headers with ", ". Not /,+$/: that
    // is quadratic in a run of commas, and this runs before any secret is checked.
    const entry = trimTrailing(token, ',');
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    if (entry.slice(0, comma) === version) found.push(entry.slice(comma + 1));
  }
  return found;
}

function stripPrefix(value: string, prefix: string): string | undefined {
  if (!prefix) return value;
  // Case-insensitive: `SHA256=` and `sha256=` name the same thing.
  if (value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined;
  return value.slice(prefix.length);
}
