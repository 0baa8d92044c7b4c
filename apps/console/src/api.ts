import { createHookgateClient, type ErrorBody } from '@app/client';

/**
 * The console's only way to the server: the generated, typed admin API client, on the
 * page's own origin. The key lives in sessionStorage, so it ends with the browser tab.
 */
const KEY = 'hookgate.apiKey';

export const keyStore = {
  get: (): string | undefined => sessionStorage.getItem(KEY) ?? undefined,
  set: (key: string): void => sessionStorage.setItem(KEY, key),
  clear: (): void => sessionStorage.removeItem(KEY),
};

export const api = createHookgateClient({ apiKey: () => keyStore.get() });

/** A non-2xx answer, with the API's error body (`{ statusCode, error, message, details? }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }

  /** The API's validation problems by field (`signature.digest` → its messages). */
  fieldProblems(): Record<string, string> {
    const details = this.body?.details;
    if (!Array.isArray(details)) return {};
    return Object.fromEntries(
      details.map((detail) => [detail.field, detail.problems.join('; ')] as const),
    );
  }
}

/** Unwraps an openapi-fetch answer: its data, or an ApiError. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await request;
  if (!response.ok) throw new ApiError(response.status, error as ErrorBody | undefined);
  return data as T;
}
