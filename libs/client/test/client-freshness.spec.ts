import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAdminOpenApiDocument } from '../../../apps/admin/src/common/openapi-document';
import { renderClientFiles } from '../../../scripts/generate-client';

/**
 * The committed OpenAPI document and generated types are what the admin app describes
 * today: a controller or DTO change without `npm run client:generate` fails here, naming
 * the stale file, before the console or a client user compiles against an old contract.
 */
describe('generated admin API client', () => {
  it('libs/client/src/openapi.json and schema.d.ts match the admin app', async () => {
    const expected = await renderClientFiles(await createAdminOpenApiDocument());
    for (const name of ['openapi.json', 'schema.d.ts'] as const) {
      const committed = readFileSync(join(__dirname, '..', 'src', name), 'utf8');
      if (committed !== expected[name]) {
        throw new Error(
          `libs/client/src/${name} is stale: run \`npm run client:generate\` and commit it`,
        );
      }
    }
  });
});
