import {
  buildMessage,
  getMetadataStorage,
  IsDefined,
  IsString,
  Matches,
  maxLength,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
  type ValidationError,
  type ValidationOptions,
} from 'class-validator';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../subscriptions';
import { IsDeliverFiles, type DeliverFile } from './deliver-files';

/** `*` belongs to subscriptions; a published event type names one type. */
export const NO_WILDCARD_PATTERN = /^[^*]*$/;

/**
 * The `deliver` and `publish` commands (SPEC §5 "Publishing"), defined once. The admin API
 * validates its `POST /deliveries` and `POST /events` bodies with these classes (its DTOs
 * extend them and only add their OpenAPI description); the dispatcher's intake validates
 * every `outbound-requests` job with the `…JobCommand` twins, which add `tenant` (an API
 * key names the tenant over HTTP). {@link jobContractSchema} builds the JSON Schema that
 * `@hookgate/client` ships for producers in other languages from the same limits and
 * messages, and a test runs one corpus through both.
 *
 * Where the admin DTO and the intake once differed, the stricter rule won: unknown fields
 * are refused, `payload` must be present and not null, `context` and `idempotencyKey` may
 * be absent but not null, and endpoint, connector and suffix are at most 200 characters.
 */

/** Longest endpoint code, connector reference and suffix in a command. */
export const MAX_ENDPOINT_REF_LENGTH = 200;
/** A W3C trace context `traceparent` (version-traceid-parentid-flags, lower-case hex). */
export const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** Longest idempotency key (the column is unique per endpoint). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export const PUBLISH_COMMAND_MESSAGES = {
  endpoint: 'endpoint (code) is required, or connector and suffix',
  endpointTooLong: `endpoint must be at most ${MAX_ENDPOINT_REF_LENGTH} characters`,
  notBoth: 'give endpoint, or connector and suffix, not both',
  connector: 'connector (code or id) must be a non-empty string',
  connectorTooLong: `connector must be at most ${MAX_ENDPOINT_REF_LENGTH} characters`,
  suffix: 'suffix must be a non-empty string',
  suffixTooLong: `suffix must be at most ${MAX_ENDPOINT_REF_LENGTH} characters`,
  payload: 'payload is required',
  context: 'context must be an object whose values are strings',
  idempotencyKey: `idempotencyKey must be a string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
  tenant: 'tenant must be a string',
  traceparent: 'traceparent must be a W3C traceparent like 00-<32 hex>-<16 hex>-01',
  eventType: `eventType must be a string of at most ${MAX_EVENT_TYPE_LENGTH} characters`,
  eventTypeShape: 'eventType must be a dotted name like order.paid',
  eventTypeWildcard:
    'eventType must be a dotted name like order.paid, without wildcards (endpoints subscribe with them)',
} as const;

const M = PUBLISH_COMMAND_MESSAGES;

/** Present: not `undefined` (`null` counts as given, and is then refused by its rule). */
const given = (value: unknown): boolean => value !== undefined;

/** An object (not an array, not null) whose own values are all strings. */
export function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

export function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringRecord',
      validator: {
        validate: isStringRecord,
        defaultMessage: buildMessage(
          (prefix) => `${prefix}$property must be an object whose values are strings`,
          options,
        ),
      },
    },
    options,
  );
}

function NotWithConnector(): PropertyDecorator {
  return ValidateBy({
    name: 'notWithConnector',
    validator: {
      validate: (_: unknown, args) => {
        const o = args?.object as { connector?: unknown; suffix?: unknown } | undefined;
        return o?.connector === undefined && o?.suffix === undefined;
      },
      defaultMessage: () => M.notBoth,
    },
  });
}

/** Past its string check: a longer string is refused (a non-string is its type rule's). */
function MaxChars(max: number, message: string): PropertyDecorator {
  return ValidateBy({
    name: 'maxChars',
    constraints: [max],
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || maxLength(value, max),
      defaultMessage: () => message,
    },
  });
}

/** The fields `deliver` and `publish` share. */
abstract class PayloadFields {
  @IsDefined({ message: M.payload })
  payload: unknown;

  @ValidateIf((o: PayloadFields) => given(o.context))
  @IsStringRecord({ message: M.context })
  context?: Record<string, string>;

  @ValidateIf((o: PayloadFields) => given(o.idempotencyKey))
  @IsString({ message: M.idempotencyKey })
  @MaxLength(MAX_IDEMPOTENCY_KEY_LENGTH, { message: M.idempotencyKey })
  idempotencyKey?: string;
}

/** `deliver`: one delivery to one endpoint, by code, or by connector (code or id) and suffix. */
export class DeliverCommand extends PayloadFields {
  @ValidateIf(
    (o: DeliverCommand) =>
      given(o.endpoint) || (o.connector === undefined && o.suffix === undefined),
  )
  @IsString({ message: M.endpoint })
  @MinLength(1, { message: M.endpoint })
  @MaxChars(MAX_ENDPOINT_REF_LENGTH, M.endpointTooLong)
  @NotWithConnector()
  endpoint?: string;

  @ValidateIf((o: DeliverCommand) => given(o.connector) || given(o.suffix))
  @IsString({ message: M.connector })
  @MinLength(1, { message: M.connector })
  @MaxChars(MAX_ENDPOINT_REF_LENGTH, M.connectorTooLong)
  connector?: string;

  @ValidateIf((o: DeliverCommand) => given(o.connector) || given(o.suffix))
  @IsString({ message: M.suffix })
  @MinLength(1, { message: M.suffix })
  @MaxChars(MAX_ENDPOINT_REF_LENGTH, M.suffixTooLong)
  suffix?: string;

  /** File parts for a `multipart` endpoint (deliver-files.ts: shape here, sizes at the doors). */
  @ValidateIf((o: DeliverCommand) => given(o.files))
  @IsDeliverFiles()
  files?: DeliverFile[];
}

/** `publish`: fans out to every endpoint subscribed to `eventType`. */
export class PublishCommand extends PayloadFields {
  @IsString({ message: M.eventType })
  @MaxLength(MAX_EVENT_TYPE_LENGTH, { message: M.eventType })
  @Matches(EVENT_TYPE_PATTERN, { message: M.eventTypeShape })
  @Matches(NO_WILDCARD_PATTERN, { message: M.eventTypeWildcard })
  eventType: string;
}

/** The `deliver` job of `outbound-requests`: the command plus the tenant's name. */
export class DeliverJobCommand extends DeliverCommand {
  @ValidateIf((o: DeliverJobCommand) => given(o.tenant))
  @IsString({ message: M.tenant })
  tenant?: string;

  /** The publisher's trace (W3C): the intake and the send continue it when tracing is on. */
  @ValidateIf((o: DeliverJobCommand) => given(o.traceparent))
  @IsString({ message: M.traceparent })
  @Matches(TRACEPARENT_PATTERN, { message: M.traceparent })
  traceparent?: string;
}

/** The `publish` job of `outbound-requests`: the command plus the tenant's name. */
export class PublishJobCommand extends PublishCommand {
  @ValidateIf((o: PublishJobCommand) => given(o.tenant))
  @IsString({ message: M.tenant })
  tenant?: string;

  /** The publisher's trace (W3C): the intake and the send continue it when tracing is on. */
  @ValidateIf((o: PublishJobCommand) => given(o.traceparent))
  @IsString({ message: M.traceparent })
  @Matches(TRACEPARENT_PATTERN, { message: M.traceparent })
  traceparent?: string;
}

export interface CommandProblem {
  field: string;
  problems: string[];
}

/** Each bad field with its distinct problems (a rule's two checks may share a message). */
export function commandProblems(errors: ValidationError[], parent = ''): CommandProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: CommandProblem[] = error.constraints
      ? [{ field, problems: [...new Set(Object.values(error.constraints))] }]
      : [];
    return [...own, ...commandProblems(error.children ?? [], field)];
  });
}

/** The options both doors validate with: unknown fields are refused, not dropped. */
export const COMMAND_VALIDATION_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
} as const;

/**
 * Validates untrusted data (a queue job) as `type`: the instance, or every problem. Known
 * keys are copied as own data properties; an unknown one (`__proto__` included) is named
 * and never copied, so it cannot become the instance's prototype.
 */
export function validateCommand<T extends object>(
  type: new () => T,
  raw: unknown,
): { value: T; problems: null } | { value: null; problems: CommandProblem[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { value: null, problems: [{ field: '', problems: ['job data must be an object'] }] };
  }
  // class-validator's own whitelist looks fields up in a plain object, where `__proto__`
  // is found (Object.prototype) and so passes: unknown fields are named here instead.
  const known = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(type, '', true, false)
      .map((m) => m.propertyName),
  );
  const unknown: CommandProblem[] = [];
  const instance = new type();
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) {
      unknown.push({ field: key, problems: [`property ${key} should not exist`] });
      continue;
    }
    Object.defineProperty(instance, key, {
      value: (raw as Record<string, unknown>)[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const problems = [
    ...unknown,
    ...commandProblems(validateSync(instance, COMMAND_VALIDATION_OPTIONS)),
  ];
  return problems.length === 0 ? { value: instance, problems: null } : { value: null, problems };
}
