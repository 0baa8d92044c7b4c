import { execFile } from 'node:child_process';

/**
 * Validates an OpenAPI document with @seriousme/openapi-schema-validator. The validator is
 * ESM-only and Jest runs CommonJS, so it runs in a child Node process fed on stdin.
 */
const SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(input));
process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
`;

export interface OpenApiValidation {
  valid: boolean;
  version: string;
  errors: unknown;
}

export function validateOpenApi(document: unknown): Promise<OpenApiValidation> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT],
      { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`validator failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as OpenApiValidation);
      },
    );
    child.stdin?.end(JSON.stringify(document));
  });
}
