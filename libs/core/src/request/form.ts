import { createHash } from 'node:crypto';
import { ProcessingConfigurationError } from '../errors/errors';

/**
 * Form and multipart bodies (SPEC §5: "Form bodies flatten nested objects as `key[child]`
 * and arrays as `key[0]`"). Leaves: strings as is, numbers/booleans stringified, dates
 * ISO-8601, null as an empty value; undefined is skipped, as JSON would. Empty objects and
 * arrays produce no field (there is no form encoding for "empty").
 */

/** A file part for multipart bodies; a bare Buffer is a file named after its field. */
export interface MultipartFile {
  filename: string;
  contentType?: string;
  data: Buffer;
}

export function isMultipartFile(value: unknown): value is MultipartFile {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<MultipartFile>;
  return typeof candidate.filename === 'string' && Buffer.isBuffer(candidate.data);
}

type Leaf = string | Buffer | MultipartFile;

/** Flattens a payload into ordered `[name, value]` form pairs. Buffers become base64. */
export function flattenForm(payload: unknown): Array<[string, string]> {
  return flatten(payload, false).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : (value as Buffer).toString('base64'),
  ]);
}

/** `application/x-www-form-urlencoded` bytes of a payload. */
export function encodeForm(payload: unknown): Buffer {
  return Buffer.from(new URLSearchParams(flattenForm(payload)).toString(), 'utf8');
}

export interface MultipartBody {
  body: Buffer;
  contentType: string;
}

/** RFC 2046 boundary characters (without the space, which may not end a boundary). */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;

/** A file part given beside the payload (a deliver request's `files`), sent after its fields. */
export interface MultipartFilePart extends MultipartFile {
  field: string;
}

/**
 * `multipart/form-data` bytes of a payload: flattened fields as parts, Buffers as files,
 * then `files` (a deliver request's file parts) in their order.
 */
export function encodeMultipart(
  payload: unknown,
  boundary: string,
  files: readonly MultipartFilePart[] = [],
): MultipartBody {
  if (!BOUNDARY.test(boundary)) {
    throw new ProcessingConfigurationError(
      `Invalid multipart boundary ${JSON.stringify(boundary)}`,
    );
  }
  const entries = withFiles(flatten(payload, true), files);
  if (collides(entries, boundary)) {
    throw new ProcessingConfigurationError('The multipart boundary occurs inside a field value', {
      boundary,
    });
  }
  const chunks: Buffer[] = [];
  for (const [name, value] of entries) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`;
    let data: Buffer;
    if (typeof value === 'string') {
      head += '\r\n\r\n';
      data = Buffer.from(value, 'utf8');
    } else {
      const file = Buffer.isBuffer(value) ? { filename: name, data: value } : value;
      const type = (file as MultipartFile).contentType ?? 'application/octet-stream';
      head += `; filename="${escapeName(file.filename)}"\r\nContent-Type: ${type.replace(/[\r\n]/g, '')}\r\n\r\n`;
      data = file.data;
    }
    chunks.push(Buffer.from(head, 'utf8'), data, Buffer.from('\r\n', 'utf8'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * A boundary derived from `seed` (the delivery id), so rebuilding a request gives the same
 * bytes — and the same signature. On the (astronomically unlikely) collision with a value
 * the next derivation is tried.
 */
export function deriveMultipartBoundary(
  seed: string,
  payload: unknown,
  files: readonly MultipartFilePart[] = [],
): string {
  const entries = withFiles(flatten(payload, true), files);
  for (let attempt = 0; ; attempt++) {
    const digest = createHash('sha256').update(`${seed}:${attempt}`).digest('hex');
    const boundary = `hookgate-${digest.slice(0, 32)}`;
    if (!collides(entries, boundary)) return boundary;
  }
}

function withFiles(
  entries: Array<[string, Leaf]>,
  files: readonly MultipartFilePart[],
): Array<[string, Leaf]> {
  return [...entries, ...files.map(({ field, ...file }): [string, Leaf] => [field, file])];
}

function collides(entries: Array<[string, Leaf]>, boundary: string): boolean {
  const marker = `--${boundary}`;
  return entries.some(([name, value]) => {
    if (name.includes(marker)) return true;
    if (typeof value === 'string') return value.includes(marker);
    const data = Buffer.isBuffer(value) ? value : value.data;
    return data.includes(marker) || (!Buffer.isBuffer(value) && value.filename.includes(marker));
  });
}

/** WHATWG multipart/form-data escaping of names and filenames. */
function escapeName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

function flatten(payload: unknown, binary: boolean): Array<[string, Leaf]> {
  if (payload === null || payload === undefined) return [];
  if (typeof payload !== 'object' || payload instanceof Date || Buffer.isBuffer(payload)) {
    throw new ProcessingConfigurationError(
      'A form or multipart body needs an object payload (fields by name)',
    );
  }
  const out: Array<[string, Leaf]> = [];
  const ancestors = new Set<object>();

  const visit = (name: string, value: unknown): void => {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
    if (value === null) {
      out.push([name, '']);
    } else if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) {
        throw new ProcessingConfigurationError(`Field "${name}" holds an invalid date`);
      }
      out.push([name, value.toISOString()]);
    } else if (Buffer.isBuffer(value) || (binary && isMultipartFile(value))) {
      out.push([name, value]);
    } else if (typeof value === 'object') {
      if (ancestors.has(value)) {
        throw new ProcessingConfigurationError(`Field "${name}" refers to itself`);
      }
      ancestors.add(value);
      if (Array.isArray(value)) value.forEach((item, index) => visit(`${name}[${index}]`, item));
      else for (const [key, item] of Object.entries(value)) visit(`${name}[${key}]`, item);
      ancestors.delete(value);
    } else {
      out.push([name, String(value as string | number | boolean | bigint)]);
    }
  };

  ancestors.add(payload);
  if (Array.isArray(payload)) payload.forEach((item, index) => visit(String(index), item));
  else for (const [key, item] of Object.entries(payload)) visit(key, item);
  return out;
}
