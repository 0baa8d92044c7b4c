// First: core's command classes record their property types (`design:type`, which the
// OpenAPI document reads) only if the Reflect metadata API exists when they load.
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { jobContractSchema } from '@app/core';
import { createAdminOpenApiDocument } from '../apps/admin/src/common/openapi-document';

/**
 * `npm run client:generate`: writes the admin API's OpenAPI document and the TypeScript
 * types openapi-typescript derives from it into libs/client/src, where the typed client
 * (openapi-fetch) and the console read them. `libs/client/test/client-freshness.spec.ts`
 * fails `npm test` when the committed files differ from what this would write.
 */
const REPO_ROOT = __dirname.includes(join('dist', 'scripts'))
  ? join(__dirname, '..', '..')
  : join(__dirname, '..');
export const CLIENT_SOURCE_DIR = join(REPO_ROOT, 'libs', 'client', 'src');

export interface ClientFiles {
  'openapi.json': string;
  'schema.d.ts': string;
}

/** What the generated files should hold for `document` (see render-client-files.mjs). */
export function renderClientFiles(document: OpenAPIObject): Promise<ClientFiles> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'render-client-files.mjs')],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`rendering the client failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as ClientFiles);
      },
    );
    child.stdin?.end(JSON.stringify(document));
  });
}

/**
 * `job-contract.schema.json`: core's deliver/publish commands as a JSON Schema, shipped by
 * `@hookgate/client` (checked by libs/client/test/job-contract-freshness.spec.ts).
 */
export function renderJobContractSchema(): string {
  return `${JSON.stringify(jobContractSchema(), null, 2)}\n`;
}

async function main(): Promise<void> {
  const files = {
    ...(await renderClientFiles(await createAdminOpenApiDocument())),
    'job-contract.schema.json': renderJobContractSchema(),
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(CLIENT_SOURCE_DIR, name), content);
    process.stdout.write(`wrote ${join(CLIENT_SOURCE_DIR, name)}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `client:generate failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
