import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * Reads and validates an app's configuration once, at boot. Nothing else in Hookgate
 * reads `process.env`: apps receive the typed object this returns.
 */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(errors: ValidationError[], env: Record<string, string | undefined>): string[] {
  return errors.flatMap((error) => {
    const raw = env[error.property];
    const shown = raw === undefined ? 'unset' : `"${raw}"`;
    const messages = Object.values(error.constraints ?? {});
    return messages.map((message) => `${error.property} (${shown}): ${message}`);
  });
}

export function loadConfig<T extends object>(
  schema: new () => T,
  env: Record<string, string | undefined> = process.env,
): T {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const instance = plainToInstance(schema, defined, { excludeExtraneousValues: false });
  const errors = validateSync(instance, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors, env));
  return instance;
}

/** For `main.ts`: print the problem and exit 1 instead of a stack trace. */
export function loadConfigOrExit<T extends object>(schema: new () => T): T {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`hookgate: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
