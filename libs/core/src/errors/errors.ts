/**
 * The typed error hierarchy of Hookgate. Core code throws these; the apps map them to HTTP
 * answers or item states in one place each (the gateway's receive pipeline, the workers'
 * outcome appliers, the admin exception filter). `reason` is written for an operator: it
 * says what was wrong and, where it can, what to change.
 */
export abstract class HookgateError extends Error {
  /** Stable machine code, e.g. `signature_invalid`. */
  abstract readonly code: string;

  constructor(
    readonly reason: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(reason);
    this.name = new.target.name;
  }
}

/** The request could not be proven genuine: missing, malformed or non-matching signature. */
export class SignatureValidationError extends HookgateError {
  readonly code = 'signature_invalid';
}

/** The request's timestamp is missing, unparsable, too old or too far in the future. */
export class FreshnessValidationError extends HookgateError {
  readonly code = 'timestamp_invalid';
}

/** The body claims a type (JSON, form) it does not parse as, or a required identity is absent. */
export class PayloadValidationError extends HookgateError {
  readonly code = 'payload_invalid';
}

/**
 * Configuration that cannot run: an unknown callback, an unsafe regular expression, a rule
 * with an action that needs a field it lacks, a connector kind that is not registered.
 * Items that hit it go to `error` (not retried: retrying cannot fix configuration).
 */
export class ProcessingConfigurationError extends HookgateError {
  readonly code = 'configuration_invalid';
}

/** A `{token}` in a URL path or header template had no value in the delivery's context. */
export class UnresolvedTokenError extends ProcessingConfigurationError {
  constructor(
    readonly token: string,
    readonly template: string,
  ) {
    super(`Unresolved token {${token}} in "${template}": add "${token}" to the delivery context`, {
      token,
      template,
    });
  }
}

/** A callback name that is not (or is already) registered. */
export class RegistryError extends ProcessingConfigurationError {}

export function isHookgateError(error: unknown): error is HookgateError {
  return error instanceof HookgateError;
}
