import { Alert } from '@mantine/core';
import { ApiError } from '../api';

/**
 * API validation answers, per field: `problemsOf(error)('signature.secret')` is that field's
 * messages, so each input shows what the API said about it; `OtherProblems` lists the rest.
 */
export function problemsOf(error: unknown): (field: string) => string | undefined {
  const problems = error instanceof ApiError ? error.fieldProblems() : {};
  return (field) => problems[field];
}

/**
 * The API's messages for a field and everything under it, each with its path
 * (`payloadRules.1.source: …`): what a JSON editor of a list shows beside itself.
 */
export function problemsUnder(error: unknown): (prefix: string) => string | undefined {
  const problems = error instanceof ApiError ? error.fieldProblems() : {};
  return (prefix) => {
    const lines = Object.entries(problems)
      .filter(([field]) => field === prefix || field.startsWith(`${prefix}.`))
      .map(([field, message]) => `${field}: ${message}`);
    return lines.length > 0 ? lines.join('\n') : undefined;
  };
}

/** Whether a form shows `field` already: listed as is, or under a listed `prefix.*`. */
const isShown = (field: string, shown: string[]): boolean =>
  shown.some((entry) =>
    entry.endsWith('.*')
      ? field === entry.slice(0, -2) || field.startsWith(entry.slice(0, -1))
      : field === entry,
  );

export function OtherProblems({ error, shown }: { error: unknown; shown: string[] }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <Alert color="red" role="alert">
        {String(error)}
      </Alert>
    );
  }
  const rest = Object.entries(error.fieldProblems()).filter(([field]) => !isShown(field, shown));
  return (
    <Alert color="red" role="alert" title={error.message}>
      {rest.map(([field, message]) => (
        <div key={field}>
          <code>{field}</code>: {message}
        </div>
      ))}
    </Alert>
  );
}

/** JSON text typed by the operator: its value, or the parser's message. */
export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** A NumberInput's value as the API takes it: a number, or undefined when left empty. */
export const numberOrUndefined = (value: number | string): number | undefined =>
  value === '' || value === undefined ? undefined : Number(value);
