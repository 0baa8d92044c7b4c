import {
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type PipeTransform,
  type ValidationError,
} from '@nestjs/common';
import {
  buildMessage,
  getMetadataStorage,
  isISO8601,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { commandProblems, storableJson } from '@app/core';

/** Core's, so the publish commands and every admin DTO refuse the same shapes. */
export { IsStringRecord } from '@app/core';

/**
 * Request validation for every admin route: unknown fields are refused, and a 400 lists
 * every bad field with its problems (`details: [{ field: "signature.digest", problems }]`).
 */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Each bad field, nested ones by path, with its distinct problems. */
export function flattenValidationErrors(errors: ValidationError[]): FieldProblem[] {
  return commandProblems(errors);
}

/**
 * A 400 names at most this many fields. The adversarial suite (issue 21) sent 50,000 empty
 * `payloadRules` items in 300 KB: the answer listed 100,000 problems in 12.8 MB.
 */
export const MAX_REPORTED_FIELDS = 50;

/**
 * An array longer than its `@ArrayMaxSize` is refused before class-validator walks it:
 * validating each of those 50,000 nested items took the admin event loop seconds, and the
 * items past the limit cannot be accepted anyway.
 */
function oversizedArrays(value: unknown, metatype: ArgumentMetadata['metatype']): FieldProblem[] {
  if (!metatype || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return getMetadataStorage()
    .getTargetValidationMetadatas(metatype, '', true, false)
    .filter((m) => m.name === 'arrayMaxSize' && Object.hasOwn(value, m.propertyName))
    .flatMap((m) => {
      const items = (value as Record<string, unknown>)[m.propertyName];
      const max = Number(m.constraints?.[0]);
      return Array.isArray(items) && items.length > max
        ? [
            {
              field: m.propertyName,
              problems: [`${m.propertyName} must contain no more than ${max} elements`],
            },
          ]
        : [];
    });
}

class AdminValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const oversized = oversizedArrays(value, metadata.metatype);
    if (oversized.length > 0) throw validationFailure(oversized);
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AdminValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => validationFailure(flattenValidationErrors(errors)),
  });
}

/**
 * Refuses a body, query or path parameter holding text Postgres cannot store or compare
 * (NUL; an unpaired UTF-16 surrogate, which `jsonb` refuses): a 400 naming the part,
 * instead of the 500 the statement's failure became (issue 21). What an admin types is
 * configuration, so it is refused rather than altered; payloads published from outside
 * (the queue, webhooks) are made storable instead (storableJson).
 */
export class StorableInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom' || storableJson(value) === value) return value;
    const field = metadata.data ?? metadata.type;
    throw validationFailure([
      {
        field,
        problems: [`${field} holds NUL or an unpaired UTF-16 surrogate, which cannot be stored`],
      },
    ]);
  }
}

/** Problems one per line (`{field, problem}`) grouped per field, in first-seen order. */
export function problemsByField(
  problems: ReadonlyArray<{ field: string; problem: string }>,
): FieldProblem[] {
  const fields = new Map<string, string[]>();
  for (const { field, problem } of problems)
    fields.set(field, [...(fields.get(field) ?? []), problem]);
  return [...fields].map(([field, list]) => ({ field, problems: list }));
}

/** A 400 for problems found beyond DTO shape (e.g. rule semantics), in the same format. */
export function validationFailure(details: FieldProblem[]): BadRequestException {
  const shown = details.slice(0, MAX_REPORTED_FIELDS);
  const more = details.length - shown.length;
  return new BadRequestException({
    message: `validation failed: ${shown.map((d) => d.field).join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
    details: shown,
  });
}

/** A flat object of strings, e.g. a delivery `context` (`{ "orderId": "A-42" }`). */
/**
 * A point in time for a filter (`from`, `to`): strict ISO 8601 (a real calendar date) that
 * falls in years 1–9999 once in UTC, so Postgres takes whatever passes as `timestamptz`
 * (a 2026-02-30 or a year 0 would otherwise reach it and fail there). Services send
 * Postgres {@link toTimestamp}'s canonical form, never the caller's text.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          value.length <= 64 &&
          isISO8601(value, { strict: true, strictSeparator: true }) &&
          toTimestamp(value) !== null,
        defaultMessage: buildMessage(
          (prefix) => `${prefix}$property must be an ISO 8601 date-time like 2026-01-31T00:00:00Z`,
          options,
        ),
      },
    },
    options,
  );
}

/** `value` as a canonical UTC timestamp (`toISOString`), or null outside years 1–9999. */
export function toTimestamp(value: string): string | null {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return null;
  const year = at.getUTCFullYear();
  return year >= 1 && year <= 9999 ? at.toISOString() : null;
}
