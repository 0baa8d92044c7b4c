import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Providers' official SDKs as signing oracles for e2e tests. `@octokit/webhooks-methods`
 * is ESM-only and Jest runs CommonJS here, so it runs in a short-lived node process.
 */
const run = promisify(execFile);

export async function octokitSign(secret: string, payload: string): Promise<string> {
  const script = `
    import { sign } from '@octokit/webhooks-methods';
    const input = JSON.parse(process.argv[1]);
    process.stdout.write(await sign(input.secret, input.payload));`;
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify({ secret, payload })],
    {
      cwd: process.cwd(),
    },
  );
  return stdout.trim();
}
