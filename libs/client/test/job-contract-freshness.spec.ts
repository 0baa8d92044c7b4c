import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJobContractSchema } from '../../../scripts/generate-client';

/**
 * The JSON Schema `@hookgate/client` ships is core's deliver/publish commands as they are
 * today: a rule changed without `npm run client:generate` fails here.
 */
describe('job contract JSON Schema', () => {
  it('libs/client/src/job-contract.schema.json matches core', () => {
    const committed = readFileSync(
      join(__dirname, '..', 'src', 'job-contract.schema.json'),
      'utf8',
    );
    if (committed !== renderJobContractSchema()) {
      throw new Error(
        'libs/client/src/job-contract.schema.json is stale: run `npm run client:generate` and commit it',
      );
    }
  });
});
