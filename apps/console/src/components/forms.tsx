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

export function OtherProblems({ error, shown }: { error: unknown; shown: string[] }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <Alert color="red" role="alert">
        {String(error)}
      </Alert>
    );
  }
  const rest = Object.entries(error.fieldProblems()).filter(([field]) => !shown.includes(field));
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
