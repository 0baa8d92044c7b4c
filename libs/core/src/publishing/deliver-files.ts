import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * File parts of a `deliver` request (the seeds' "request files"): what a publisher passes
 * for an endpoint whose body mode is `multipart`, each sent as one part after the payload's
 * fields. Two checks, at both doors (admin API and queue intake):
 *
 * - the shape ({@link deliverFilesProblems}): at most {@link MAX_DELIVER_FILES} files, a
 *   field name and a filename that cannot break out of a `Content-Disposition` header or
 *   name a path (no CR, LF, quotes, slashes, backslashes or control characters; not `.` or
 *   `..`), a `type/subtype` content type, strict base64 content. Part of the command
 *   contract, so the job JSON Schema says the same;
 * - the sizes ({@link deliverFilesOverLimits}), against the apps' configured limits
 *   (`DELIVER_FILE_MAX_BYTES`, `DELIVER_FILES_MAX_TOTAL_BYTES`): decoded bytes per file
 *   and in total. Over them the admin API answers 400 and the intake refuses the job
 *   (`too_large`), before anything is stored.
 */
export interface DeliverFile {
  /** The form field name of the part. */
  field: string;
  filename: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
  /** The file's bytes, base64 (standard alphabet, padded). */
  contentBase64: string;
}

export const MAX_DELIVER_FILES = 20;
export const MAX_FILE_FIELD_LENGTH = 100;
export const MAX_FILENAME_LENGTH = 255;
export const MAX_FILE_CONTENT_TYPE_LENGTH = 255;

/**
 * No control characters (CR, LF, NUL, …, DEL), no double quotes or backslashes; a
 * filename also no single quotes or slashes, and not `.` or `..`. Checked in code (a
 * control-character class is not a lintable regex literal); the JSON Schema states the
 * same as these pattern sources, and the contract test holds the two to one verdict.
 */
export const FILE_FIELD_PATTERN_SOURCE = '^[^\\u0000-\\u001f\\u007f"\\\\]+$';
export const FILENAME_PATTERN_SOURCE = '^(?!\\.{1,2}$)[^\\u0000-\\u001f\\u007f"\'/\\\\]+$';

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export function isFileField(text: string): boolean {
  return !hasControlCharacter(text) && !/["\\]/.test(text);
}

export function isFilename(text: string): boolean {
  return !hasControlCharacter(text) && !/["'/\\]/.test(text) && text !== '.' && text !== '..';
}

/** `type/subtype` with optional `; name=value` parameters (RFC 9110 tokens). */
export const FILE_CONTENT_TYPE_PATTERN =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(; ?[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+-]+)*$/;
/** Standard base64, padded; linear to match. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const FILE_MESSAGES = {
  files: `files must be an array of at most ${MAX_DELIVER_FILES} objects {field, filename, contentType?, contentBase64}`,
  field: `field must be a string of 1 to ${MAX_FILE_FIELD_LENGTH} characters without control characters, quotes or backslashes`,
  filename: `filename must be a string of 1 to ${MAX_FILENAME_LENGTH} characters without control characters, quotes, slashes or backslashes (not . or ..)`,
  contentType: 'contentType must be a media type like application/pdf',
  contentBase64: 'contentBase64 must be standard padded base64',
  unknown: 'only field, filename, contentType and contentBase64 are allowed',
} as const;

const FILE_KEYS = new Set(['field', 'filename', 'contentType', 'contentBase64']);

/** Shape problems of a `files` value, by field (`files[0].filename`); none: valid. */
export function deliverFilesProblems(value: unknown): Array<{ field: string; problem: string }> {
  if (!Array.isArray(value) || value.length > MAX_DELIVER_FILES) {
    return [{ field: 'files', problem: FILE_MESSAGES.files }];
  }
  const problems: Array<{ field: string; problem: string }> = [];
  value.forEach((file: unknown, index) => {
    const at = `files[${index}]`;
    if (file === null || typeof file !== 'object' || Array.isArray(file)) {
      problems.push({ field: at, problem: FILE_MESSAGES.files });
      return;
    }
    const f = file as Record<string, unknown>;
    if (Object.keys(f).some((key) => !FILE_KEYS.has(key))) {
      problems.push({ field: at, problem: FILE_MESSAGES.unknown });
    }
    const text = (v: unknown, max: number, valid: (t: string) => boolean) =>
      typeof v === 'string' && v.length >= 1 && v.length <= max && valid(v);
    if (!text(f.field, MAX_FILE_FIELD_LENGTH, isFileField)) {
      problems.push({ field: `${at}.field`, problem: FILE_MESSAGES.field });
    }
    if (!text(f.filename, MAX_FILENAME_LENGTH, isFilename)) {
      problems.push({ field: `${at}.filename`, problem: FILE_MESSAGES.filename });
    }
    if (
      f.contentType !== undefined &&
      !text(f.contentType, MAX_FILE_CONTENT_TYPE_LENGTH, (t) => FILE_CONTENT_TYPE_PATTERN.test(t))
    ) {
      problems.push({ field: `${at}.contentType`, problem: FILE_MESSAGES.contentType });
    }
    if (typeof f.contentBase64 !== 'string' || !BASE64_PATTERN.test(f.contentBase64)) {
      problems.push({ field: `${at}.contentBase64`, problem: FILE_MESSAGES.contentBase64 });
    }
  });
  return problems;
}

/** The class-validator rule of `DeliverCommand.files` (its messages name each bad file field). */
export function IsDeliverFiles(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDeliverFiles',
      validator: {
        validate: (value: unknown) => deliverFilesProblems(value).length === 0,
        defaultMessage: buildMessage(
          (_, args) =>
            [
              ...new Set(
                deliverFilesProblems(args?.value).map((p) =>
                  p.field === 'files' ? p.problem : `${p.field}: ${p.problem}`,
                ),
              ),
            ].join('; '),
          options,
        ),
      },
    },
    options,
  );
}

export interface DeliverFileLimits {
  /** Decoded bytes per file. */
  maxFileBytes: number;
  /** Decoded bytes of all files of one request. */
  maxTotalBytes: number;
}

/** Decoded size of valid padded base64, without decoding it. */
export function base64DecodedBytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** Size problems of shape-valid files against the limits; none: within them. */
export function deliverFilesOverLimits(
  files: readonly DeliverFile[],
  limits: DeliverFileLimits,
): Array<{ field: string; problem: string }> {
  const problems: Array<{ field: string; problem: string }> = [];
  let total = 0;
  files.forEach((file, index) => {
    const bytes = base64DecodedBytes(file.contentBase64);
    total += bytes;
    if (bytes > limits.maxFileBytes) {
      problems.push({
        field: `files[${index}].contentBase64`,
        problem: `the file is ${bytes} bytes; at most ${limits.maxFileBytes} are allowed per file`,
      });
    }
  });
  if (total > limits.maxTotalBytes) {
    problems.push({
      field: 'files',
      problem: `the files are ${total} bytes together; at most ${limits.maxTotalBytes} are allowed per request`,
    });
  }
  return problems;
}
