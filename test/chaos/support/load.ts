/**
 * Runs `total` tasks with at most `concurrency` in flight, calling `at(i)` hooks as the
 * send position passes them (to inject a fault "mid-run").
 */
export async function runPool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  hooks: Array<{ at: number; run: () => Promise<unknown> | unknown }> = [],
): Promise<void> {
  let next = 0;
  const pending = [...hooks].sort((a, b) => a.at - b.at);
  const worker = async () => {
    for (;;) {
      while (pending.length > 0 && next >= pending[0].at) await pending.shift()!.run();
      if (next >= total) return;
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  for (const hook of pending) await hook.run();
}

export interface Answer {
  status: number;
  body: any;
}

/** POSTs JSON; a network error is answer status 0 (the caller decides whether to retry). */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
