import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Request validation for every admin route: unknown fields are refused, and a 400 lists
 * every bad field with its problems (`details: [{ field: "signature.digest", problems }]`).
 */
export interface FieldProblem {
  field: string;
  problems: string[];
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints
      ? [{ field, problems: Object.values(error.constraints) }]
      : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      return new BadRequestException({
        message: `validation failed: ${details.map((d) => d.field).join(', ')}`,
        details,
      });
    },
  });
}

/** A 400 for problems found beyond DTO shape (e.g. rule semantics), in the same format. */
export function validationFailure(details: FieldProblem[]): BadRequestException {
  return new BadRequestException({
    message: `validation failed: ${details.map((d) => d.field).join(', ')}`,
    details,
  });
}

/** A flat object of strings, e.g. a delivery `context` (`{ "orderId": "A-42" }`). */
export function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringRecord',
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.values(value).every((v) => typeof v === 'string'),
        defaultMessage: buildMessage(
          (prefix) => `${prefix}$property must be an object whose values are strings`,
          options,
        ),
      },
    },
    options,
  );
}
